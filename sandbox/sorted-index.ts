/**
 * An ordered view of one record kind by (sort value, id), for stable cursor pagination.
 *
 * Rebuilding a sorted array of 1M activities on every write would make a bench-scale walk quadratic,
 * so records changed since the last build sit in a small "dirty" overlay that is merged in at query
 * time; the index is rebuilt only when the overlay grows large. Positions are found by binary search,
 * so a page costs O(log n + scanned) rather than a full sort.
 */

export interface Position {
  key: number;
  id: number;
}

export interface RecordSource<R> {
  get(id: number): R | undefined;
  forEachId(fn: (id: number) => void): void;
  size(): number;
}

export interface PageQuery<R> {
  direction: 'asc' | 'desc';
  /** Exclusive position after which (in `direction`) the page starts. */
  after: Position | null;
  /** Inclusive lower / exclusive upper bound on the sort key, to skip ranges quickly (optional). */
  minKey?: number;
  maxKeyExclusive?: number;
  accept(r: R): boolean;
  /** How many matches to collect at most. */
  take: number;
}

function cmp(ak: number, aid: number, bk: number, bid: number): number {
  return ak < bk ? -1 : ak > bk ? 1 : aid - bid;
}

export class SortedIndex<R extends { id: number }> {
  private keys = new Float64Array(0);
  private ids = new Int32Array(0);
  private built = false;
  private readonly dirty = new Set<number>();

  constructor(
    private readonly source: RecordSource<R>,
    readonly keyOf: (r: R) => number,
  ) {}

  /** Call after a record was created or its sort key may have changed. */
  touch(id: number): void {
    if (this.built) this.dirty.add(id);
  }

  private rebuild(): void {
    const n = this.source.size();
    const keys = new Float64Array(n);
    const ids = new Int32Array(n);
    let i = 0;
    this.source.forEachId((id) => {
      const r = this.source.get(id);
      if (!r || i >= n) return;
      keys[i] = this.keyOf(r);
      ids[i] = id;
      i++;
    });
    // Ids arrive in ascending order; only sort when the keys are not already ordered (id sort is free).
    let sorted = true;
    for (let j = 1; j < i && sorted; j++) sorted = cmp(keys[j - 1]!, ids[j - 1]!, keys[j]!, ids[j]!) < 0;
    if (sorted) {
      this.keys = keys.subarray(0, i);
      this.ids = ids.subarray(0, i);
    } else {
      const order = new Uint32Array(i);
      for (let j = 0; j < i; j++) order[j] = j;
      order.sort((a, b) => cmp(keys[a]!, ids[a]!, keys[b]!, ids[b]!));
      const k2 = new Float64Array(i);
      const i2 = new Int32Array(i);
      for (let j = 0; j < i; j++) {
        k2[j] = keys[order[j]!]!;
        i2[j] = ids[order[j]!]!;
      }
      this.keys = k2;
      this.ids = i2;
    }
    this.dirty.clear();
    this.built = true;
  }

  /** First index position strictly after `p` in ascending order. */
  private upperBound(p: Position): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(this.keys[mid]!, this.ids[mid]!, p.key, p.id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  query(q: PageQuery<R>): R[] {
    if (!this.built || this.dirty.size > Math.max(4096, this.source.size() >> 4)) this.rebuild();
    const asc = q.direction === 'asc';
    // Overlay: dirty records with their current keys, sorted in the walk direction.
    const overlay: Position[] = [];
    for (const id of this.dirty) {
      const r = this.source.get(id);
      if (r) overlay.push({ key: this.keyOf(r), id });
    }
    overlay.sort((a, b) => (asc ? 1 : -1) * cmp(a.key, a.id, b.key, b.id));

    // Effective start: the cursor, tightened by the key range.
    let start: Position | null = q.after;
    if (asc && q.minKey !== undefined && (!start || start.key < q.minKey)) start = { key: q.minKey, id: -Infinity };
    if (!asc && q.maxKeyExclusive !== undefined && (!start || start.key >= q.maxKeyExclusive)) {
      start = { key: q.maxKeyExclusive, id: -Infinity };
    }
    const inRange = (k: number): boolean =>
      asc ? q.maxKeyExclusive === undefined || k < q.maxKeyExclusive : q.minKey === undefined || k >= q.minKey;
    const afterStart = (k: number, id: number): boolean =>
      !start || (asc ? cmp(k, id, start.key, start.id) > 0 : cmp(k, id, start.key, start.id) < 0);

    let p: number;
    if (asc) p = start ? this.upperBound(start) : 0;
    else p = (start ? this.upperBound({ key: start.key, id: start.id === -Infinity ? -Infinity : start.id - 0.5 }) : this.ids.length) - 1;
    let o = 0;
    while (o < overlay.length && !afterStart(overlay[o]!.key, overlay[o]!.id)) o++;

    const out: R[] = [];
    const n = this.ids.length;
    while (out.length < q.take) {
      // Skip stale index entries (their record is in the overlay).
      while (p >= 0 && p < n && this.dirty.has(this.ids[p]!)) p += asc ? 1 : -1;
      const haveIdx = p >= 0 && p < n;
      const haveOv = o < overlay.length;
      if (!haveIdx && !haveOv) break;
      let key: number;
      let id: number;
      if (haveIdx && (!haveOv || (asc ? 1 : -1) * cmp(this.keys[p]!, this.ids[p]!, overlay[o]!.key, overlay[o]!.id) < 0)) {
        key = this.keys[p]!;
        id = this.ids[p]!;
        p += asc ? 1 : -1;
      } else {
        key = overlay[o]!.key;
        id = overlay[o]!.id;
        o++;
      }
      if (!inRange(key)) break;
      const r = this.source.get(id);
      if (r && q.accept(r)) out.push(r);
    }
    return out;
  }
}
