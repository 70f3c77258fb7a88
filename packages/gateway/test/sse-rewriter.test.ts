import fc from 'fast-check';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { rewriteEventStream } from '../src/proxy/sse-rewriter.js';

async function collect(
  chunks: (string | Buffer)[],
  rewrite = (_d: string): string | undefined => undefined,
  max = 1 << 20,
) {
  let out = '';
  let overflow = false;
  async function* source() {
    yield* chunks;
  }
  for await (const part of rewriteEventStream(source(), rewrite, {
    maxEventBytes: max,
    onOverflow: () => (overflow = true),
  })) {
    out += part;
  }
  return { out, overflow };
}

function parse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => events.push(e) });
  parser.feed(text);
  return events;
}

describe('rewriteEventStream', () => {
  describe('framing', () => {
    it('keeps id, event, multi-line data, comments and retry, over CRLF, CR and LF', async () => {
      const input =
        ': keep-alive\r\nid: 7\r\nevent: message\r\ndata: line one\r\ndata: line two\r\n\r\nretry: 1500\rdata: x\r\rdata: y\n\n';
      const { out } = await collect([input]);
      expect(out).toBe(
        ': keep-alive\n\nid: 7\nevent: message\ndata: line one\ndata: line two\n\nretry: 1500\n\ndata: x\n\ndata: y\n\n',
      );
    });

    it('passes an event with empty data (a priming event) with its id', async () => {
      expect((await collect(['id: 42\ndata: \n\n'])).out).toBe('id: 42\ndata: \n\n');
    });

    it('drops lines with unknown fields and keeps nothing of an unterminated event', async () => {
      const { out } = await collect(['bogus: 1\ndata: a\n\ndata: never-ended']);
      expect(out).toBe('data: a\n\n');
    });

    it('cuts the stream at an over-long event', async () => {
      const { out, overflow } = await collect(
        ['data: a\n\n', `data: ${'x'.repeat(200)}`],
        undefined,
        100,
      );
      expect(overflow).toBe(true);
      expect(out).toBe('data: a\n\n');
    });

    it('rewrites data in order and splits a rewritten value with line breaks into data lines', async () => {
      const seen: string[] = [];
      const { out } = await collect(['data: 1\n\ndata: 2\n\n'], (d) => {
        seen.push(d);
        return d === '2' ? 'two\nlines' : undefined;
      });
      expect(seen).toEqual(['1', '2']);
      expect(out).toBe('data: 1\n\ndata: two\ndata: lines\n\n');
    });
  });

  describe('any stream split anywhere', () => {
    const text = fc
      .string({ unit: 'grapheme', maxLength: 40 })
      .map((s) => s.replace(/[\r\n]/g, ' '));
    const event = fc.record({
      id: fc.option(
        text.filter((s) => !s.includes('\0')),
        { nil: undefined },
      ),
      event: fc.option(
        text.filter((s) => s.length > 0),
        { nil: undefined },
      ),
      lines: fc.array(text, { minLength: 1, maxLength: 4 }),
    });
    const eol = fc.constantFrom('\n', '\r', '\r\n');

    it('yields the same events as the stream parsed whole, whatever the chunking and line ends', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(event, eol), { maxLength: 6 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          async (events, cuts) => {
            let source = '';
            for (const [e, nl] of events) {
              if (e.id !== undefined) source += `id: ${e.id}${nl}`;
              if (e.event !== undefined) source += `event: ${e.event}${nl}`;
              for (const line of e.lines) source += `data: ${line}${nl}`;
              source += nl;
            }
            // Cut the UTF-8 bytes anywhere, characters included.
            const bytes = Buffer.from(source, 'utf8');
            const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
              (a, b) => a - b,
            );
            const chunks: Buffer[] = [];
            let last = 0;
            for (const p of points) {
              chunks.push(bytes.subarray(last, p));
              last = p;
            }
            chunks.push(bytes.subarray(last));
            const { out } = await collect(chunks);
            const expected = parse(source);
            expect(parse(out)).toEqual(expected);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
