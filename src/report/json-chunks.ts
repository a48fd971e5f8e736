import { LazyRows } from './rows.js';

/**
 * Joins small chunks into pieces of about `size` characters: a stream pays per write, and `reportJsonChunks`
 * yields a piece per list element and key (hundreds of thousands of writes for a large company).
 */
export function* batchChunks(chunks: Iterable<string>, size = 64 * 1024): Generator<string> {
  let buffer: string[] = [];
  let length = 0;
  for (const chunk of chunks) {
    buffer.push(chunk);
    length += chunk.length;
    if (length >= size) {
      yield buffer.join('');
      buffer = [];
      length = 0;
    }
  }
  if (length > 0) yield buffer.join('');
}

/**
 * The report's JSON text as a sequence of chunks, section by section, so a large report (tens of thousands of
 * clients, hundreds of megabytes) is written piece by piece instead of as one string that could exceed V8's
 * string limit. Objects to `depth` levels are walked key by key, and every list (an array or lazy `Rows`) is
 * written one element at a time with native `JSON.stringify`, so a lazy list is built, serialized and dropped
 * row by row. Concatenated, equals `JSON.stringify` of the materialized report (same keys in the same order:
 * `materializeReport` keeps them), for plain JSON data.
 */
export function* reportJsonChunks(value: unknown, depth = 2): Generator<string> {
  if (Array.isArray(value) || value instanceof LazyRows) {
    yield '[';
    let first = true;
    for (const v of value as Iterable<unknown>) {
      yield `${first ? '' : ','}${JSON.stringify(v) ?? 'null'}`;
      first = false;
    }
    yield ']';
    return;
  }
  if (depth > 0 && value !== null && typeof value === 'object' && !('toJSON' in value)) {
    yield '{';
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function') continue;
      yield `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      yield* reportJsonChunks(v, depth - 1);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}
