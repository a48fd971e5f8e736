/**
 * Columnar encoding of mirror segments: `{ cols, columns, deletes }` with one array per field. Measured on
 * 1M activities (16 fields): JSON.parse of the columnar form takes ~1.0 s + 0.5 s to build the records,
 * against ~2.9 s for the same records as JSON objects (twice the bytes) and ~4.3 s for one array per
 * record. Columns are stored with each segment, so a segment written before a field existed still decodes
 * (the field reads as null). Merging and compaction work on the columns directly, without building records.
 */
import type { Segment } from './schemas.js';

export interface Identified {
  id: number;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

export function segmentRows(segment: Segment): number {
  return segment.columns[0]?.length ?? 0;
}

export function encodeSegment<T extends Identified>(cols: readonly string[], records: readonly T[], deletes: readonly number[]): Segment {
  const columns = cols.map((c) => {
    const col = new Array<unknown>(records.length);
    for (let r = 0; r < records.length; r++) {
      const v = (records[r] as unknown as Record<string, unknown>)[c];
      col[r] = v === undefined ? null : v;
    }
    return col;
  });
  return { cols: [...cols], columns, deletes: [...deletes] };
}

type Builder = (columns: unknown[][], n: number, into: Map<number, unknown>) => void;
const builders = new Map<string, Builder>();

/**
 * A record builder compiled for one column list: an object literal per row gives V8 one hidden class for
 * every record (2–3× faster than assigning keys in a loop, and smaller objects). Column names come from
 * our own domain schemas and are checked to be identifiers before they reach the generated code.
 */
function builderFor(cols: readonly string[]): Builder {
  const key = cols.join(',');
  let b = builders.get(key);
  if (!b) {
    for (const c of cols) if (!IDENT.test(c)) throw new Error(`mirror segment column "${c}" is not an identifier: the store is corrupt; run a full sync`);
    const idIndex = cols.indexOf('id');
    if (idIndex < 0) throw new Error('mirror segment without an id column: the store is corrupt; run a full sync');
    const decl = cols.map((_, i) => `const c${i} = columns[${i}];`).join('');
    const literal = cols.map((c, i) => `${c}: c${i}[i]`).join(',');
    b = new Function('columns', 'n', 'into', `${decl} for (let i = 0; i < n; i++) into.set(c${idIndex}[i], { ${literal} });`) as Builder;
    builders.set(key, b);
  }
  return b;
}

/** Applies a segment to `into` in order: its rows upsert, then its deletes remove. */
export function applySegment<T extends Identified>(into: Map<number, T>, segment: Segment): void {
  builderFor(segment.cols)(segment.columns, segmentRows(segment), into as Map<number, unknown>);
  for (const id of segment.deletes) into.delete(id);
}

/** The segment's columns in the order of `cols` (a column the segment lacks reads as null). */
function columnsAs(cols: readonly string[], segment: Segment): unknown[][] {
  const n = segmentRows(segment);
  return cols.map((c) => {
    const i = segment.cols.indexOf(c);
    return i >= 0 ? (segment.columns[i] as unknown[]) : new Array<unknown>(n).fill(null);
  });
}

/**
 * Folds consecutive segments into one with the same meaning when applied after the segments that precede
 * them: the last write of an id wins; deletes are kept as tombstones unless `dropDeletes` (a compaction of
 * the whole entity, where nothing precedes).
 */
export function mergeSegments(cols: readonly string[], segments: readonly Segment[], dropDeletes = false): Segment {
  const idIndex = cols.indexOf('id');
  if (idIndex < 0) throw new Error('mergeSegments: the column list has no id');
  const normalized = segments.map((s) => columnsAs(cols, s));
  const stride = Math.max(1, ...segments.map(segmentRows)) + 1;
  const latest = new Map<number, number>();
  const tombstones = new Set<number>();
  segments.forEach((seg, s) => {
    const ids = normalized[s]?.[idIndex] as number[];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      latest.set(id, s * stride + i);
      tombstones.delete(id);
    }
    for (const id of seg.deletes) {
      latest.delete(id);
      if (!dropDeletes) tombstones.add(id);
    }
  });
  const refs = [...latest.values()];
  const columns = cols.map((_, c) => {
    const out = new Array<unknown>(refs.length);
    for (let k = 0; k < refs.length; k++) {
      const ref = refs[k] as number;
      const s = Math.floor(ref / stride);
      out[k] = (normalized[s]?.[c] as unknown[])[ref - s * stride];
    }
    return out;
  });
  return { cols: [...cols], columns, deletes: [...tombstones] };
}

/** Splits a segment into chunks of at most `size` rows (its tombstones go with the first chunk). */
export function chunkSegment(segment: Segment, size: number): Segment[] {
  const n = segmentRows(segment);
  const out: Segment[] = [];
  for (let start = 0; start < n; start += size) {
    out.push({ cols: segment.cols, columns: segment.columns.map((col) => col.slice(start, start + size)), deletes: start === 0 ? segment.deletes : [] });
  }
  if (out.length === 0 && segment.deletes.length > 0) out.push({ cols: segment.cols, columns: segment.cols.map(() => []), deletes: segment.deletes });
  return out;
}

/** A cheap structural check of a segment read back from the store (validating every value would cost seconds). */
export function isSegment(x: unknown): x is Segment {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Partial<Segment>;
  if (!Array.isArray(s.cols) || !Array.isArray(s.columns) || !Array.isArray(s.deletes)) return false;
  if (s.columns.length !== s.cols.length) return false;
  const n = s.columns[0]?.length ?? 0;
  return s.columns.every((c) => Array.isArray(c) && c.length === n);
}
