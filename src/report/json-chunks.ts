import { LazyRows } from './rows.js';

/**
 * JSON text of a value as a sequence of chunks, so a large report (tens of thousands of clients) is
 * written to disk piece by piece instead of as one string that could exceed V8's string limit.
 * The concatenated chunks equal `JSON.stringify(value)` (compact), for plain JSON data.
 */
export function* jsonChunks(value: unknown, depth = 3): Generator<string> {
  if (depth > 0 && Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      // Like JSON.stringify: undefined and functions inside arrays become null.
      const v: unknown = value[i];
      if (v === undefined || typeof v === 'function') yield 'null';
      else yield* jsonChunks(v, depth - 1);
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
      yield* jsonChunks(v, depth - 1);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}

/**
 * Joins small chunks into pieces of about `size` characters: a stream pays per write, and `jsonChunks`
 * yields a piece per comma and key (hundreds of thousands of writes for a large company).
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
 * The report's JSON text, section by section: objects to `depth` levels are walked key by key, and every
 * list (an array or lazy `Rows`) is written one element at a time with native `JSON.stringify`, so a lazy
 * list is built, serialized and dropped row by row. Concatenated, equals `JSON.stringify` of the
 * materialized report (same keys in the same order: `materializeReport` keeps them).
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
