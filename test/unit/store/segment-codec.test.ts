import { describe, expect, it } from 'vitest';
import { applySegment, chunkSegment, encodeSegment, isSegment, mergeSegments, segmentRows } from '../../../src/store/segment-codec.js';

interface Rec {
  id: number;
  name: string;
  tags: number[] | null;
}
const cols = ['id', 'name', 'tags'];
const rec = (id: number, name = `n${id}`, tags: number[] | null = [id]): Rec => ({ id, name, tags });
const load = (...segs: ReturnType<typeof encodeSegment>[]) => {
  const m = new Map<number, Rec>();
  for (const s of segs) applySegment(m, s);
  return m;
};

describe('segment codec', () => {
  it('round-trips records column by column, undefined as null', () => {
    const seg = encodeSegment(cols, [rec(1), { id: 2, name: 'x' } as Rec], []);
    expect(seg.columns).toEqual([[1, 2], ['n1', 'x'], [[1], null]]);
    expect(segmentRows(seg)).toBe(2);
    expect([...load(seg).values()]).toEqual([rec(1), { id: 2, name: 'x', tags: null }]);
    expect(isSegment(JSON.parse(JSON.stringify(seg)))).toBe(true);
  });

  it('applies rows then deletes, later segments winning', () => {
    const m = load(encodeSegment(cols, [rec(1), rec(2)], []), encodeSegment(cols, [rec(2, 'two')], [1]));
    expect([...m.values()]).toEqual([rec(2, 'two')]);
  });

  it('decodes a segment written with fewer or other columns (fields added later read as null)', () => {
    const old = { cols: ['name', 'id'], columns: [['a'], [7]], deletes: [] };
    const merged = mergeSegments(cols, [old]);
    expect(merged.columns).toEqual([[7], ['a'], [null]]);
    expect(load(old).get(7)).toEqual({ name: 'a', id: 7 });
  });

  it('merging consecutive segments keeps their meaning, tombstones included', () => {
    const segs = [encodeSegment(cols, [rec(1), rec(2)], []), encodeSegment(cols, [rec(3)], [1, 9]), encodeSegment(cols, [rec(1, 'back'), rec(3, 'three')], [])];
    const base = encodeSegment(cols, [rec(9), rec(10)], []);
    const merged = mergeSegments(cols, segs);
    expect(merged.deletes).toEqual([9]);
    expect(load(base, merged)).toEqual(load(base, ...segs));
  });

  it('compaction merges drop tombstones, and chunks split rows', () => {
    const all = mergeSegments(cols, [encodeSegment(cols, [rec(1), rec(2), rec(3)], []), encodeSegment(cols, [], [2])], true);
    expect(all.deletes).toEqual([]);
    expect(segmentRows(all)).toBe(2);
    const chunks = chunkSegment(all, 1);
    expect(chunks.map(segmentRows)).toEqual([1, 1]);
    expect(load(...chunks)).toEqual(load(all));
  });

  it('rejects column names that are not identifiers', () => {
    expect(() => load({ cols: ['id', 'a-b'], columns: [[1], [2]], deletes: [] })).toThrow(/not an identifier/);
    expect(isSegment({ cols: ['id'], columns: [[1], [2]], deletes: [] })).toBe(false);
  });
});
