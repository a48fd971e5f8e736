/**
 * Incremental state as a pure reducer (STYLE.md habit 5). A pass walks one entity's v2 list sorted by
 * `update_time` ascending, from `updated_since` = last bookmark minus a small overlap (clock skew), and the
 * checkpoint after each page records the next cursor and the max `update_time` seen. When the last page
 * arrives the bookmark moves to that max (never to "now": PIPEDRIVE.md §11.3).
 *
 * Why sorted by update_time: a record edited while we page moves behind the cursor and is simply seen
 * again later in the same pass or the next one; the bookmark stays monotonic, so a resumed pass never
 * skips anything. `updated_since` is inclusive, so boundary records are re-read: page writes are upserts.
 */
import type { SyncCheckpoint, SyncPass } from '../store/schemas.js';

export const DEFAULT_OVERLAP_MS = 60_000;

export interface StartPassOptions {
  /** ISO time the pass starts (the run's clock). */
  now: string;
  overlapMs?: number;
  /** Pull the whole entity even if a bookmark exists (rebuild). */
  full?: boolean;
}

/** The later of two ISO times (null: none yet). */
export function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** Starts a pass, or keeps the one in progress (a resume continues where the last run stopped). */
export function startPass(cp: SyncCheckpoint, { now, overlapMs = DEFAULT_OVERLAP_MS, full = false }: StartPassOptions): SyncCheckpoint {
  if (cp.pass !== null && !(full && cp.pass.kind !== 'full')) return cp;
  const isFull = full || cp.bookmark === null;
  const since = isFull || cp.bookmark === null ? null : new Date(Date.parse(cp.bookmark) - overlapMs).toISOString().replace('.000Z', 'Z');
  const pass: SyncPass = { kind: isFull ? 'full' : 'incremental', since, cursor: null, maxSeen: null, startedAt: now, pages: 0, records: 0 };
  return { ...cp, pass };
}

export interface PageEvent {
  /** `updateTime` of every record parsed on the page (malformed ones have none we can trust). */
  updateTimes: readonly string[];
  /** Items the API returned on the page, parsed or not. */
  rawCount: number;
  /** Cursor of the next page; null when this was the last page. */
  nextCursor: string | null;
  /** ISO time the page was committed. */
  at: string;
}

export function nextCheckpoint(cp: SyncCheckpoint, page: PageEvent): SyncCheckpoint {
  if (cp.pass?.chains !== undefined) throw new Error(`nextCheckpoint: the ${cp.entity} pass is split into chains (use advanceChain)`);
  if (cp.pass === null) throw new Error(`nextCheckpoint: no pass in progress for ${cp.entity} (call startPass first)`);
  let maxSeen = cp.pass.maxSeen;
  for (const t of page.updateTimes) maxSeen = later(maxSeen, t);
  const pass: SyncPass = { ...cp.pass, cursor: page.nextCursor, maxSeen, pages: cp.pass.pages + 1, records: cp.pass.records + page.rawCount };
  if (page.nextCursor !== null) return { ...cp, pass };
  return completePass(cp, pass, page.at);
}

/** The pass is over: the bookmark moves to the max `update_time` it saw, the pass is cleared. */
export function completePass(cp: SyncCheckpoint, pass: SyncPass, at: string): SyncCheckpoint {
  return {
    ...cp,
    bookmark: later(cp.bookmark, pass.maxSeen),
    pass: null,
    lastCompletedAt: at,
    lastFullAt: pass.kind === 'full' ? at : cp.lastFullAt,
    lastPassPages: pass.pages,
  };
}

/**
 * When the API refuses a saved cursor (expired, or the server changed), restart the pass from the highest
 * `update_time` already committed: nothing before it can be missed, the boundary is re-read.
 */
export function restartPassFromBoundary(cp: SyncCheckpoint): SyncCheckpoint {
  if (cp.pass === null) return cp;
  return { ...cp, pass: { ...cp.pass, cursor: null, since: cp.pass.maxSeen ?? cp.pass.since } };
}

/** Records a completed reconciliation. */
export function markReconciled(cp: SyncCheckpoint, at: string): SyncCheckpoint {
  return { ...cp, lastReconcileAt: at };
}

/**
 * Whether `auto` reconciliation is due: never before the first full pull has completed (it would find
 * nothing), then every `everyDays`, counting a full pull as a reconciliation.
 */
export function reconcileDue(cps: readonly SyncCheckpoint[], now: string, everyDays: number): boolean {
  if (cps.some((cp) => cp.bookmark === null && cp.lastFullAt === null)) return false;
  const nowMs = Date.parse(now);
  return cps.some((cp) => {
    const last = later(cp.lastReconcileAt, cp.lastFullAt);
    return last === null || nowMs - Date.parse(last) >= everyDays * 86_400_000;
  });
}
