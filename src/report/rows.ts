/**
 * A report list that is read, not held: its order is kept as an index (numbers) and each row is built when
 * it is read. A 50,000-client company's report has ~200,000 findings and 50,000 described clients; holding
 * them all as objects took ~1.3 GiB of heap for the few seconds the files were written, only to be
 * serialized once and dropped (issue #15).
 *
 * `Rows<T>` is the part of an array the renderers use (its length, its first rows, a pass over every row),
 * so a plain array is `Rows` too: the tests and small callers keep handing in whole `ReportV1` objects.
 */
export interface Rows<T> {
  readonly length: number;
  /** The rows from `start` to `end` (not included), built now: only what is shown is built. */
  slice(start?: number, end?: number): T[];
  [Symbol.iterator](): Iterator<T>;
}

/** Rows built on demand by `row(i)` for i in 0…length−1 (each read builds a new object). */
export class LazyRows<T> implements Rows<T> {
  constructor(
    readonly length: number,
    private readonly row: (index: number) => T,
  ) {}

  slice(start = 0, end = this.length): T[] {
    const from = clamp(start, this.length);
    const to = clamp(end, this.length);
    const out: T[] = [];
    for (let i = from; i < to; i++) out.push(this.row(i));
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.row(i);
  }
}

/** Like Array.prototype.slice's arguments: negative counts from the end. */
function clamp(n: number, length: number): number {
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
}

/** `0, 1, …, n−1`, the starting point of an index to sort. */
export function indexes(n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * `{ ...base, ...extra }` (same keys, same order), built with Object.assign. In Node 20's V8 an object spread
 * of a long-lived object (the rules' result sits in the old generation) allocates the copy in the old
 * generation too, so rows built and dropped one at a time filled it until a full collection: at 50k clients
 * report.json took twice the time and +1.3 GiB RSS. Object.assign copies into a young object.
 */
export function copyWith<A extends object, B extends object>(base: A, extra: B): Omit<A, keyof B> & B {
  return Object.assign({}, base, extra);
}
