import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { StringDecoder } from 'node:string_decoder';

/**
 * What to do with one SSE event's `data`: `undefined` passes it on unchanged, a string replaces
 * it (the event keeps its `id` and `event` fields).
 */
export type EventDataRewrite = (data: string) => string | undefined | Promise<string | undefined>;

/** Options of {@link rewriteEventStream}. */
export interface RewriteEventStreamOptions {
  /** Largest event (or unterminated line) buffered; past it the stream ends. */
  readonly maxEventBytes: number;
  /** Called when the stream is cut (over-long event); the downstream stream then ends. */
  readonly onOverflow?: () => void;
}

function field(name: string, value: string): string {
  // A value with line breaks becomes one line per part, which the client joins with "\n" again.
  let out = '';
  for (const line of value.split(/\r\n|\r|\n/)) out += `${name}: ${line}\n`;
  return out;
}

/** Serializes one event as SSE: `id`, `event`, then `data` line by line, then a blank line. */
export function formatEvent(event: EventSourceMessage): string {
  let out = '';
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  return `${out}${field('data', event.data)}\n`;
}

/**
 * Re-frames an upstream SSE stream event by event (parsed incrementally with
 * `eventsource-parser`: multi-line `data:`, `id:`, `event:`, `retry:`, comments, CR, LF and
 * CRLF line ends, a byte-order mark, events split across chunks at any byte, UTF-8 characters
 * split across chunks), passing each event's data through `rewrite` in order. Comments and
 * `retry` are kept; lines with unknown fields are dropped, as an EventSource would ignore them.
 * Only complete events go downstream, so a half-sent tool list never leaks.
 */
export async function* rewriteEventStream(
  source: AsyncIterable<Buffer | string>,
  rewrite: EventDataRewrite,
  options: RewriteEventStreamOptions,
): AsyncGenerator<string> {
  type Item = { readonly event: EventSourceMessage } | { readonly raw: string };
  let pending: Item[] = [];
  let overflow = false;
  const parser = createParser({
    onEvent: (event) => pending.push({ event }),
    onComment: (comment) => pending.push({ raw: `:${comment === '' ? '' : ` ${comment}`}\n\n` }),
    onRetry: (ms) => pending.push({ raw: `retry: ${ms}\n\n` }),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
    maxBufferSize: options.maxEventBytes,
  });
  const decoder = new StringDecoder('utf8');
  for await (const chunk of source) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (overflow) {
      options.onOverflow?.();
      return;
    }
    if (pending.length === 0) continue;
    const items = pending;
    pending = [];
    let out = '';
    for (const item of items) {
      if ('raw' in item) {
        out += item.raw;
        continue;
      }
      const replaced = await rewrite(item.event.data);
      out += formatEvent(replaced === undefined ? item.event : { ...item.event, data: replaced });
    }
    yield out;
  }
}
