/**
 * @etdi/core verification and signing benchmarks (issue: core). Prints ratios from one run.
 *   pnpm bench verify
 */
import { verify as cryptoVerify } from 'node:crypto';
import { compactVerify } from 'jose';
import { verifyAsync as nobleVerify } from '@noble/ed25519';
import {
  assertCanonicalizable,
  buildTrustJwks,
  canonicalize,
  checkToolSchema,
  sha256Base64url,
  generateKeyPair,
  importSigningKey,
  parseCompactJws,
  signatureOf,
  signTool,
  TrustStore,
  Verifier,
  verifyTool,
  verifyTools,
  type SignedTool,
  type Tool,
} from '@etdi/core';
import jcs from 'canonicalize';
import { compare, goal } from '../../../bench/harness.js';
import { loadCorpus } from '../test/support/corpus.js';

const corpus: Tool[] = loadCorpus().map((e) => e.tool);
const pair = await generateKeyPair('EdDSA', { iss: 'com.acme' });
const key = await importSigningKey(pair.privateJwk);
const trust = await TrustStore.fromJwks(
  await buildTrustJwks([{ jwk: pair.publicJwk, iss: 'com.acme' }]),
);
const publicKey = trust.get(key.kid)!.key;
const signed: SignedTool[] = [];
for (const t of corpus)
  signed.push(await signTool(t, { key, ver: '1.0.0', perms: ['tools:call'] }));
const inputs = signed.map((t) => {
  const p = parseCompactJws(signatureOf(t) as string);
  return {
    input: Buffer.from(p.signingInput),
    signature: p.signature,
    jws: signatureOf(t) as string,
  };
});
const canonicals = signed.map((t) => canonicalize(corpus[signed.indexOf(t)]));
const rawPublic = Buffer.from(pair.publicJwk.x as string, 'base64url');

console.log(
  `corpus: ${corpus.length} real tools (${Math.round(JSON.stringify(corpus).length / corpus.length)} bytes on average), Ed25519, Node ${process.version}`,
);

// 1. One tool at a time: the whole pipeline vs the bare signature check on the same key and bytes.
const uncached = new Verifier({ trust, cache: false });
let i = 0;
const next = () => i++ % signed.length;
const single = await compare(
  'Single tool, sequential, nothing cached',
  [
    {
      name: 'bare crypto.verify (Ed25519, node:crypto)',
      fn: () => {
        const x = inputs[next()]!;
        return cryptoVerify(null, x.input, publicKey, x.signature);
      },
    },
    {
      name: 'Verifier.verify, caches off: validate+JCS+SHA-256+claims+Ed25519',
      fn: async () => {
        const r = await uncached.verify(signed[next()]!);
        if (!r.ok) throw new Error(r.reason);
      },
    },
    {
      name: 'verifyTool (one-shot: also builds a verifier per call)',
      fn: async () => {
        const r = await verifyTool(signed[next()]!, { trust });
        if (!r.ok) throw new Error(r.reason);
      },
    },
    { name: 'jose compactVerify (EdDSA)', fn: () => compactVerify(inputs[next()]!.jws, publicKey) },
    {
      name: '@noble/ed25519 verifyAsync',
      fn: () => {
        const x = inputs[next()]!;
        return nobleVerify(x.signature, x.input, rawPublic);
      },
    },
  ],
  { calls: 400, rounds: 7 },
);
const pipelineRatio = single[1]!.ratio;

// Where the pipeline's time goes, per tool (same corpus, same key): every stage on its own.
{
  let k = 0;
  const at = () => signed[k++ % signed.length]!;
  const stages = await compare(
    'Pipeline stages, one tool each (ratio = stage throughput / bare verify; µs/call is the cost)',
    [
      {
        name: 'bare crypto.verify (Ed25519)',
        fn: () => {
          const x = inputs[k++ % inputs.length]!;
          return cryptoVerify(null, x.input, publicKey, x.signature);
        },
      },
      { name: 'JCS, single pass: canonicalize (guard + serializer)', fn: () => canonicalize(at()) },
      {
        name: 'JCS reference: guard walk + the canonicalize library',
        fn: () => {
          const t = at();
          assertCanonicalizable(t);
          return jcs(t);
        },
      },
      {
        name: 'SHA-256 of the canonical form',
        fn: () => sha256Base64url(canonicals[k++ % canonicals.length]!),
      },
      {
        name: 'MCP Tool schema + JSON Schema meta-validation (ajv)',
        fn: () => checkToolSchema(at()),
      },
      {
        name: 'JWS parse (split, base64url, JSON)',
        fn: () => parseCompactJws(signatureOf(at()) as string),
      },
      { name: 'JSON.stringify of the same tool (for scale)', fn: () => JSON.stringify(at()) },
    ],
    { calls: 2000, rounds: 5 },
  );
  const overhead = [1, 3, 4, 5].reduce((sum, n) => sum + stages[n]!.usPerCall, 0);
  console.log(
    `  sum of the non-crypto stages: ${overhead.toFixed(1)} µs per tool, of which JCS ${stages[1]!.usPerCall.toFixed(1)} µs ` +
      `(the reference guard + library: ${stages[2]!.usPerCall.toFixed(1)} µs, ${(stages[2]!.usPerCall / stages[1]!.usPerCall).toFixed(1)}x)`,
  );
}

// 2. A 100-tool tools/list (the corpus repeated, renamed to keep names unique).
const list100: SignedTool[] = [];
for (let n = 0; list100.length < 100; n++) {
  const t = corpus[n % corpus.length]!;
  list100.push(await signTool({ ...t, name: `${t.name}_${n}` }, { key, ver: '1.0.0' }));
}
const inputs100 = list100.map((t) => {
  const p = parseCompactJws(signatureOf(t) as string);
  return { input: Buffer.from(p.signingInput), signature: p.signature };
});
const warm = new Verifier({ trust });
await warm.verifyAll(list100);
const lists = await compare(
  '100-tool tools/list (µs/call = one whole list)',
  [
    {
      name: 'bare concurrent crypto.verify ×100 (thread pool)',
      opsPerCall: 100,
      fn: () =>
        Promise.all(
          inputs100.map(
            (x) =>
              new Promise<boolean>((res, rej) =>
                cryptoVerify(null, x.input, publicKey, x.signature, (e, ok) =>
                  e ? rej(e) : res(ok),
                ),
              ),
          ),
        ),
    },
    {
      name: 'verifyTools cold (fresh verifier per list)',
      opsPerCall: 100,
      fn: async () => {
        const r = await verifyTools(list100, { trust });
        if (r.summary.rejected) throw new Error('rejected');
      },
    },
    {
      name: 'Verifier.verifyAll cached (seen list: JCS + checks, no crypto)',
      opsPerCall: 100,
      fn: () => warm.verifyAll(list100),
    },
    {
      name: 'bare sync crypto.verify ×100 loop',
      opsPerCall: 100,
      fn: () => {
        for (const x of inputs100) cryptoVerify(null, x.input, publicKey, x.signature);
      },
    },
  ],
  { calls: 20, rounds: 7 },
);
const coldListRatio = 1 / lists[1]!.ratio;
console.log(
  `  cold list: ${(lists[1]!.usPerCall / 1000).toFixed(2)} ms; cached list: ${(lists[2]!.usPerCall / 1000).toFixed(2)} ms`,
);

// 3. Signing 1,000 definitions.
let s = 0;
const sign = await compare(
  'Signing (µs/call = one definition)',
  [
    {
      name: 'signTool (validate + compile schemas + JCS + sign)',
      fn: () => {
        const t = corpus[s++ % corpus.length]!;
        return signTool(t, { key, ver: '1.0.0' });
      },
    },
    {
      name: 'signTool, meta-schema check only',
      fn: () => {
        const t = corpus[s++ % corpus.length]!;
        return signTool(t, { key, ver: '1.0.0', limits: { schemaCheck: 'meta' } });
      },
    },
  ],
  { calls: 1000, rounds: 3, warmup: 200 },
);
console.log(
  `  1,000 definitions signed in ${((sign[0]!.usPerCall * 1000) / 1e6).toFixed(2)} s (${sign[0]!.opsPerSec.toFixed(0)}/s)`,
);

// Both goals of DESIGN.md, side by side, from this one run.
console.log('\nGoals (this run)');
goal('verify pipeline vs bare crypto.verify (throughput)', pipelineRatio, 0.8);
goal('cold 100-tool verifyTools vs bare concurrent verify (time)', coldListRatio, 1.2, false);
