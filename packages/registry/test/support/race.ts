import { expect } from 'vitest';
import { call } from './http-client.js';
import { signed, type ProviderKey } from './keys.js';

/**
 * Sends 50 concurrent publishes of one `(iss, sub, ver)`, half with one description and half
 * with another (two digests), spread over the given registry nodes, and checks the outcome:
 * every answer is 201, 200 or 409; exactly one 201; the digest stored (read from every node)
 * is the winner's; the 200s carried the winner's content and the 409s the other.
 */
export async function raceOneVersion(
  nodes: readonly string[],
  provider: { pk: ProviderKey; apiKey: string },
  name: string,
): Promise<void> {
  const tools = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      signed(provider.pk, name, { description: i % 2 ? 'variant one' : 'variant two' }),
    ),
  );
  const answers = await Promise.all(
    tools.map((t, i) =>
      call(nodes[i % nodes.length]!, 'POST', '/v1/tools', {
        key: provider.apiKey,
        body: { tools: [t] },
      }),
    ),
  );
  for (const a of answers) expect([200, 201, 409]).toContain(a.status);
  expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
  const winner = answers.findIndex((a) => a.status === 201);
  const winning = tools[winner]!.description;
  answers.forEach((a, i) => {
    const same = tools[i]!.description === winning;
    expect({ i, status: a.status }).toEqual({ i, status: same ? (i === winner ? 201 : 200) : 409 });
    if (a.status === 409) expect(a.json().code).toBe('rug-pull');
  });
  for (const node of nodes) {
    const served = await call(node, 'GET', `/v1/tools/${provider.pk.iss}/${name}/1.0.0`);
    expect(served.body).toBe(JSON.stringify(tools[winner]));
  }
}
