/**
 * The mirror of one entity, laid out for a fast whole load and idempotent page writes:
 *
 *   m:<entity>:manifest   → MirrorManifest: ordered segment ids + the sync checkpoint (the commit point)
 *   m:<entity>:s:<id>     → Segment: columnar records (segment-codec.ts) and deletes (tombstones)
 *
 * - Never one key per record (1M round trips) and never one giant value (rewritten on every page):
 *   a page write adds one small segment and rewrites the small manifest.
 * - The manifest is written last, so a page and the checkpoint that covers it commit together; a crash
 *   before that leaves an unreferenced segment id that the next write reuses.
 * - Loading applies segments in order (later rows win, deletes remove), so re-writing a page that was
 *   already written (updated_since is inclusive, resumes re-read the boundary) changes nothing.
 * - Consecutive small page segments are merged into chunks as they accumulate; `compact()` rewrites the
 *   entity into deduplicated chunks without tombstones when appended rows outgrow the live set.
 */
import type { EntityKind } from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import type { Kv } from './kv.js';
import { MirrorManifest, type Segment, type SegmentRef, type SyncCheckpoint, type SyncStream } from './schemas.js';
import { applySegment, chunkSegment, encodeSegment, isSegment, mergeSegments, segmentRows, type Identified } from './segment-codec.js';

export interface MirrorTuning {
  /** Merge trailing page segments once this many accumulate (default 40 ≈ 20k records). */
  mergePages: number;
  /** Records per compacted chunk (default 20 000, a few MB per value). */
  chunkRows: number;
  /** Segments fetched per round trip when loading (default 8). */
  loadBatch: number;
  /** compactIfNeeded() compacts when rows appended since the last compaction exceed this share of the live set (default 0.25). */
  compactRatio: number;
}

export const DEFAULT_MIRROR_TUNING: MirrorTuning = { mergePages: 40, chunkRows: 20_000, loadBatch: 8, compactRatio: 0.25 };

export interface PageWrite<T> {
  upserts: readonly T[];
  deletes?: readonly number[];
}

function withCheckpoint(m: MirrorManifest, checkpoint: SyncCheckpoint | undefined, stream: SyncStream | undefined): Pick<MirrorManifest, 'checkpoint' | 'streams'> {
  if (!checkpoint) return { checkpoint: m.checkpoint, ...(m.streams ? { streams: m.streams } : {}) };
  if (!stream) return { checkpoint, ...(m.streams ? { streams: m.streams } : {}) };
  return { checkpoint: m.checkpoint, streams: { ...m.streams, [stream]: checkpoint } };
}

export class EntityMirror<T extends Identified> {
  private manifest: MirrorManifest | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: Kv,
    readonly entity: EntityKind,
    private readonly cols: readonly string[],
    private readonly log: Logger,
    private readonly tuning: MirrorTuning = DEFAULT_MIRROR_TUNING,
  ) {}

  private manifestKey(): string {
    return `m:${this.entity}:manifest`;
  }

  private segKey(id: number): string {
    return `m:${this.entity}:s:${id}`;
  }

  /** Serializes writers of this entity (pages, compaction): the manifest is read-modify-write. */
  private exclusive<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async readManifest(fresh = false): Promise<MirrorManifest> {
    if (this.manifest && !fresh) return this.manifest;
    const raw = await this.kv.get<unknown>(this.manifestKey());
    if (raw === undefined) {
      this.manifest = {
        version: 1,
        entity: this.entity,
        segments: [],
        nextSegmentId: 0,
        garbage: [],
        liveAtCompaction: 0,
        rowsSinceCompaction: 0,
        checkpoint: null,
      };
    } else {
      const parsed = MirrorManifest.safeParse(raw);
      if (!parsed.success) {
        throw new Error(`state store: the ${this.entity} mirror manifest is unreadable (${parsed.error.issues[0]?.message}): run a full sync to rebuild it`);
      }
      this.manifest = parsed.data;
      if (this.manifest.garbage.length > 0) await this.collectGarbage(this.manifest);
    }
    return this.manifest;
  }

  private async writeManifest(m: MirrorManifest): Promise<void> {
    await this.kv.set(this.manifestKey(), m);
    this.manifest = m;
  }

  private async collectGarbage(m: MirrorManifest): Promise<void> {
    await this.kv.delete(m.garbage.map((id) => this.segKey(id)));
    await this.writeManifest({ ...m, garbage: [] });
  }

  /**
   * Writes one page (upserts and tombstones) and, in the same commit, the checkpoint that covers it (the
   * main list's, or the checkpoint of another list walk of this entity, `stream`).
   */
  writePage(page: PageWrite<T>, checkpoint?: SyncCheckpoint, stream?: SyncStream): Promise<void> {
    return this.exclusive(async () => {
      const m = await this.readManifest();
      const deletes = page.deletes ?? [];
      let segments = m.segments;
      let nextSegmentId = m.nextSegmentId;
      if (page.upserts.length > 0 || deletes.length > 0) {
        const id = m.nextSegmentId;
        await this.kv.set(this.segKey(id), encodeSegment(this.cols, page.upserts, deletes));
        segments = [...segments, { id, kind: 'page', rows: page.upserts.length, deletes: deletes.length }];
        nextSegmentId = id + 1;
      }
      await this.writeManifest({
        ...m,
        segments,
        nextSegmentId,
        rowsSinceCompaction: m.rowsSinceCompaction + page.upserts.length,
        ...withCheckpoint(m, checkpoint, stream),
      });
      await this.mergeTailIfNeeded();
    });
  }

  /** Replaces the checkpoint alone (no records). */
  writeCheckpoint(checkpoint: SyncCheckpoint, stream?: SyncStream): Promise<void> {
    return this.exclusive(async () => {
      const m = await this.readManifest();
      await this.writeManifest({ ...m, ...withCheckpoint(m, checkpoint, stream) });
    });
  }

  async checkpoint(stream?: SyncStream): Promise<SyncCheckpoint | null> {
    const m = await this.readManifest(true);
    return stream ? (m.streams?.[stream] ?? null) : m.checkpoint;
  }

  private async mergeTailIfNeeded(): Promise<void> {
    const m = await this.readManifest();
    let start = m.segments.length;
    while (start > 0 && m.segments[start - 1]?.kind === 'page') start -= 1;
    const tail = m.segments.slice(start);
    if (tail.length < this.tuning.mergePages) return;
    const segs = await this.readSegments(tail);
    const merged = mergeSegments(this.cols, segs);
    const id = m.nextSegmentId;
    await this.kv.set(this.segKey(id), merged);
    const ref: SegmentRef = { id, kind: 'chunk', rows: segmentRows(merged), deletes: merged.deletes.length };
    const next: MirrorManifest = {
      ...m,
      segments: [...m.segments.slice(0, start), ref],
      nextSegmentId: id + 1,
      garbage: [...m.garbage, ...tail.map((s) => s.id)],
    };
    await this.writeManifest(next);
    await this.collectGarbage(next);
  }

  private async readSegments(refs: readonly SegmentRef[]): Promise<Segment[]> {
    const out: Segment[] = [];
    for (let i = 0; i < refs.length; i += this.tuning.loadBatch) {
      const batch = refs.slice(i, i + this.tuning.loadBatch);
      const values = await this.kv.getMany<unknown>(batch.map((r) => this.segKey(r.id)));
      values.forEach((v, j) => {
        // Segments are written by this module: a structural check is enough (validating 1M values costs seconds).
        if (!isSegment(v)) {
          throw new Error(`state store: ${this.entity} mirror segment ${batch[j]?.id} is missing or unreadable: run a full sync to rebuild the mirror`);
        }
        out.push(v);
      });
    }
    return out;
  }

  /** Streams the segments batch by batch (bounded memory while loading). */
  private async eachSegment(fn: (segment: Segment) => void): Promise<void> {
    const m = await this.readManifest(true);
    for (let i = 0; i < m.segments.length; i += this.tuning.loadBatch) {
      for (const seg of await this.readSegments(m.segments.slice(i, i + this.tuning.loadBatch))) fn(seg);
    }
  }

  /** Loads every live record of this entity. Segments are fetched in small batches to bound memory. */
  async load(): Promise<Map<number, T>> {
    const out = new Map<number, T>();
    await this.eachSegment((seg) => applySegment(out, seg));
    return out;
  }

  /**
   * Loads only some columns of every live record (reconciliation needs ids and references, not whole
   * records): values in the order of `cols`, keyed by id.
   */
  async loadColumns(cols: readonly string[]): Promise<Map<number, unknown[]>> {
    const out = new Map<number, unknown[]>();
    await this.eachSegment((seg) => {
      const idCol = seg.columns[seg.cols.indexOf('id')] as number[];
      const picked = cols.map((c) => seg.columns[seg.cols.indexOf(c)]);
      for (let i = 0; i < idCol.length; i++) out.set(idCol[i] as number, picked.map((col) => (col ? col[i] : null)));
      for (const id of seg.deletes) out.delete(id);
    });
    return out;
  }

  /** Rows stored and the live count known at the last compaction (cheap: manifest only). */
  async sizes(): Promise<{ segments: number; storedRows: number; liveAtCompaction: number; rowsSinceCompaction: number }> {
    const m = await this.readManifest(true);
    return {
      segments: m.segments.length,
      storedRows: m.segments.reduce((n, s) => n + s.rows, 0),
      liveAtCompaction: m.liveAtCompaction,
      rowsSinceCompaction: m.rowsSinceCompaction,
    };
  }

  /** Rewrites the entity as deduplicated chunks without tombstones, working on the columns directly. */
  compact(): Promise<{ live: number; segmentsBefore: number; segmentsAfter: number }> {
    return this.exclusive(async () => {
      const m = await this.readManifest(true);
      const all = mergeSegments(this.cols, await this.readSegments(m.segments), true);
      const live = segmentRows(all);
      const refs: SegmentRef[] = [];
      let id = m.nextSegmentId;
      for (const chunk of chunkSegment(all, this.tuning.chunkRows)) {
        await this.kv.set(this.segKey(id), chunk);
        refs.push({ id, kind: 'chunk', rows: segmentRows(chunk), deletes: 0 });
        id += 1;
      }
      const next: MirrorManifest = {
        ...m,
        segments: refs,
        nextSegmentId: id,
        garbage: [...m.garbage, ...m.segments.map((s) => s.id)],
        liveAtCompaction: live,
        rowsSinceCompaction: 0,
      };
      await this.writeManifest(next);
      await this.collectGarbage(next);
      this.log.debug({ entity: this.entity, live, segmentsBefore: m.segments.length, segmentsAfter: refs.length }, 'mirror compacted');
      return { live, segmentsBefore: m.segments.length, segmentsAfter: refs.length };
    });
  }

  /** Compacts when the rows appended since the last compaction outgrow the live set (run between syncs). */
  async compactIfNeeded(): Promise<boolean> {
    const m = await this.readManifest(true);
    const threshold = Math.max(1000, m.liveAtCompaction * this.tuning.compactRatio);
    if (m.rowsSinceCompaction <= threshold && m.segments.length <= 200) return false;
    await this.compact();
    return true;
  }

  /** Drops the whole entity (used by tests and by a forced full rebuild). */
  clear(): Promise<void> {
    return this.exclusive(async () => {
      const m = await this.readManifest(true);
      const next: MirrorManifest = { ...m, segments: [], garbage: [...m.garbage, ...m.segments.map((s) => s.id)], liveAtCompaction: 0, rowsSinceCompaction: 0, checkpoint: null, streams: {} };
      await this.writeManifest(next);
      await this.collectGarbage(next);
    });
  }
}
