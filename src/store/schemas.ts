/**
 * Shapes the state store persists, declared once with zod (types derived from the schemas). The sync
 * checkpoint lives here, beside the mirror manifest that carries it, so that a page of records and the
 * checkpoint that covers it are committed by one write (see mirror-store.ts).
 */
import { z } from 'zod';
import { EntityKind } from '../domain/entities.js';

/**
 * One cursor chain of a pass split into `update_time` windows (src/sync/chains.ts): it walks
 * `[since, until)` sorted by `update_time` on its own cursor. `until` null: open-ended (the last window).
 */
export const SyncChain = z.object({
  since: z.string().nullable(),
  until: z.string().nullable(),
  /** Cursor of the chain's next page; null before its first page and once it is done. */
  cursor: z.string().nullable(),
  maxSeen: z.string().nullable(),
  pages: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  done: z.boolean(),
});
export type SyncChain = z.infer<typeof SyncChain>;

/** A list walk in progress for one entity (null in SyncCheckpoint.pass when idle). */
export const SyncPass = z.object({
  kind: z.enum(['full', 'incremental']),
  /** `updated_since` the pass was started with (null for a full pull). */
  since: z.string().nullable(),
  /** Cursor of the next page to request; null before the first page. */
  cursor: z.string().nullable(),
  /** Max `update_time` seen in this pass so far. */
  maxSeen: z.string().nullable(),
  startedAt: z.string(),
  pages: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  /**
   * The pass split into windows read side by side, each committed on its own; absent: one chain on
   * `since`/`cursor` above (every checkpoint written before the split existed reads as that). Once split,
   * `cursor` is null and `maxSeen`, `pages` and `records` sum up the chains.
   */
  chains: z.array(SyncChain).optional(),
});
export type SyncPass = z.infer<typeof SyncPass>;

export const SyncCheckpoint = z.object({
  entity: EntityKind,
  /**
   * Max `update_time` of the last completed pass: the next incremental pass asks for `updated_since` =
   * bookmark minus a small overlap. Null until a full pull has completed.
   */
  bookmark: z.string().nullable(),
  pass: SyncPass.nullable(),
  lastCompletedAt: z.string().nullable(),
  lastFullAt: z.string().nullable(),
  lastReconcileAt: z.string().nullable(),
  /** Pages the last completed pass fetched (the cost estimator's predictor). */
  lastPassPages: z.number().int().nonnegative(),
});
export type SyncCheckpoint = z.infer<typeof SyncCheckpoint>;

/** A second list walk of one entity beside its main list: archived deals (GET /api/v2/deals/archived). */
export const SyncStream = z.enum(['archived']);
export type SyncStream = z.infer<typeof SyncStream>;

export function emptyCheckpoint(entity: EntityKind): SyncCheckpoint {
  return { entity, bookmark: null, pass: null, lastCompletedAt: null, lastFullAt: null, lastReconcileAt: null, lastPassPages: 0 };
}

export const SegmentRef = z.object({
  id: z.number().int().nonnegative(),
  /** `page`: one committed page (small); `chunk`: merged or compacted (large). */
  kind: z.enum(['page', 'chunk']),
  rows: z.number().int().nonnegative(),
  deletes: z.number().int().nonnegative(),
});
export type SegmentRef = z.infer<typeof SegmentRef>;

/** The commit point of one entity's mirror: which segments make it up, in order, and the checkpoint. */
export const MirrorManifest = z.object({
  version: z.literal(1),
  entity: EntityKind,
  segments: z.array(SegmentRef),
  nextSegmentId: z.number().int().nonnegative(),
  /** Segments no longer referenced, still to be deleted (crash between manifest switch and delete). */
  garbage: z.array(z.number().int().nonnegative()),
  /** Exact live record count after the last full compaction. */
  liveAtCompaction: z.number().int().nonnegative(),
  /** Rows appended since the last full compaction (upper bound of the growth). */
  rowsSinceCompaction: z.number().int().nonnegative(),
  checkpoint: SyncCheckpoint.nullable(),
  /**
   * Checkpoints of the entity's other list walks, committed with their pages like `checkpoint`: deals
   * have a second list, GET /api/v2/deals/archived (`archived`). Absent in manifests written before.
   */
  streams: z.record(z.string(), SyncCheckpoint).optional(),
});
export type MirrorManifest = z.infer<typeof MirrorManifest>;

/** One columnar segment: field names once, one array per field, then the ids it deletes (segment-codec.ts). */
export const Segment = z.object({
  cols: z.array(z.string()),
  columns: z.array(z.array(z.unknown())),
  deletes: z.array(z.number().int()),
});
export type Segment = z.infer<typeof Segment>;

/** One sync run, as the run history keeps it. */
export const RunRecord = z
  .object({
    runId: z.string(),
    kind: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    status: z.enum(['running', 'ok', 'partial', 'failed']),
  })
  .loose();
export type RunRecord = z.infer<typeof RunRecord>;
