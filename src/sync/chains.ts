/**
 * Parallel cursor chains (issue 15): a large list is read as several chains at once, each one an
 * `updated_since`/`updated_until` window of the same list sorted by `update_time` ascending (every v2 list
 * the sync reads takes both: `updated_since` inclusive, `updated_until` exclusive, Pipedrive OpenAPI v2).
 * Pure reducers over the checkpoint, like next-checkpoint.ts; run-sync.ts does the IO.
 *
 * How a pass is split. A full pass (first night, rebuild) reads its first page alone, on the pass's own
 * cursor. When it is not the last, the pages still to read are estimated from the previous night when it knows (a full pass
 * over a mirror that already holds the entity: its record count) or else from the first page (the records
 * per second of `update_time` it covered, extrapolated to the run's clock). With at least
 * `minPagesPerChain` pages per chain, the rest of the list — from the first page's last `update_time`
 * (inclusive, so that second is read again) to the open end — is cut into equal spans of time, the last
 * one open-ended. Each chain reads ⌈nᵢ/500⌉ pages, so the pass reads at most ⌈N/500⌉ + chains pages.
 *
 * Records updated during the pull only move forward in `update_time`: out of a bounded window and into the
 * open-ended last one (read then, or by the next night, whose `updated_since` starts at the bookmark = the
 * max `update_time` seen by all chains). Such a record can be read twice, its old version by a bounded
 * chain and its new one by the last chain; `NewerGuard` keeps the old one from overwriting the new one
 * when the two pages are committed out of order.
 */
import type { SyncChain, SyncCheckpoint, SyncPass } from '../store/schemas.js';
import { completePass, later, type PageEvent } from './next-checkpoint.js';

export interface ChainTuning {
  /** Most chains one list is read with (CADENCE_SYNC_CHAINS); 1 reads every list on one chain. */
  maxChains: number;
  /** Pages each chain must expect to read for the split to be worth it (CADENCE_SYNC_CHAIN_MIN_PAGES). */
  minPagesPerChain: number;
}

export const DEFAULT_CHAIN_TUNING: ChainTuning = { maxChains: 4, minPagesPerChain: 16 };

/** What the first page (and the previous night) tell about the rest of the list. */
export interface FirstPageFacts {
  /** `update_time` of the first and the last record of the first page (ascending). */
  first: string;
  last: string;
  /** Items on the first page (the page size the API serves). */
  rawCount: number;
  /** Records the previous night says this pass reads (the mirror's count, for a full pass), if known. */
  knownRecords?: number;
  /** The run's clock (ms): the far end of what is still to read. */
  nowMs: number;
}

/** Pages the whole pass will read, estimated after its first page. */
export function estimatePages(f: FirstPageFacts): number {
  const perPage = Math.max(1, f.rawCount);
  if (f.knownRecords !== undefined && f.knownRecords > 0) return Math.ceil(f.knownRecords / perPage);
  const a = Date.parse(f.first);
  const b = Date.parse(f.last);
  // A whole page within one second: dense, assume the list is long.
  if (!(b > a)) return Number.POSITIVE_INFINITY;
  return 1 + Math.ceil(Math.max(0, f.nowMs - b) / (b - a));
}

/** How many chains a pass of `pages` pages is read with. */
export function chainCount(pages: number, tuning: ChainTuning): number {
  return Math.max(1, Math.min(tuning.maxChains, Math.floor(pages / Math.max(1, tuning.minPagesPerChain))));
}

export interface ChainWindow {
  since: string;
  until: string | null;
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * `count` windows from `from` (inclusive) on, cut at whole seconds in equal spans up to `nowMs`, the last
 * open-ended. Fewer when the span has fewer seconds than windows; one (from `from`, open) when `nowMs` is
 * not after `from` (a clock behind the server's).
 */
export function splitWindows(from: string, nowMs: number, count: number): ChainWindow[] {
  const start = Date.parse(from);
  const seconds = Math.floor((nowMs - start) / 1000);
  const n = Math.max(1, Math.min(count, seconds));
  const cuts: string[] = [];
  for (let i = 1; i < n; i++) cuts.push(isoSeconds(Math.floor(start / 1000) * 1000 + Math.floor((seconds * i) / n) * 1000));
  const bounds = [from, ...cuts];
  return bounds.map((since, i) => ({ since, until: cuts[i] ?? null }));
}

/** Replaces the pass's own cursor by chains over `windows` (the first page already read stays counted). */
export function splitPass(cp: SyncCheckpoint, windows: readonly ChainWindow[]): SyncCheckpoint {
  if (cp.pass === null || cp.pass.chains !== undefined) return cp;
  const chains: SyncChain[] = windows.map((w) => ({ since: w.since, until: w.until, cursor: null, maxSeen: null, pages: 0, records: 0, done: false }));
  return { ...cp, pass: { ...cp.pass, cursor: null, chains } };
}

/** The filters and cursor a chain (`null`: the pass's own, unsplit) sends next. */
export function chainView(pass: SyncPass, chain: number | null): { since: string | null; until: string | null; cursor: string | null; done: boolean } {
  if (chain === null) return { since: pass.since, until: null, cursor: pass.cursor, done: false };
  const c = chainAt(pass, chain);
  return { since: c.since, until: c.until, cursor: c.cursor, done: c.done };
}

function chainAt(pass: SyncPass, chain: number): SyncChain {
  const c = pass.chains?.[chain];
  if (c === undefined) throw new Error(`chain ${chain} does not exist in this pass (${pass.chains?.length ?? 0} chains)`);
  return c;
}

/** One page of chain `chain` committed: its cursor moves on; when every chain is done, the pass is over. */
export function advanceChain(cp: SyncCheckpoint, chain: number, page: PageEvent): SyncCheckpoint {
  if (cp.pass === null) throw new Error(`advanceChain: no pass in progress for ${cp.entity}`);
  const c = chainAt(cp.pass, chain);
  let maxSeen = c.maxSeen;
  for (const t of page.updateTimes) maxSeen = later(maxSeen, t);
  const next: SyncChain = { ...c, cursor: page.nextCursor, maxSeen, pages: c.pages + 1, records: c.records + page.rawCount, done: page.nextCursor === null };
  const chains = cp.pass.chains!.map((x, i) => (i === chain ? next : x));
  const pass: SyncPass = { ...cp.pass, chains, maxSeen: later(cp.pass.maxSeen, maxSeen), pages: cp.pass.pages + 1, records: cp.pass.records + page.rawCount };
  if (!chains.every((x) => x.done)) return { ...cp, pass };
  return completePass(cp, pass, page.at);
}

/** A refused cursor: the chain restarts from the highest `update_time` it committed (that second re-read). */
export function restartChainFromBoundary(cp: SyncCheckpoint, chain: number): SyncCheckpoint {
  if (cp.pass === null) return cp;
  const c = chainAt(cp.pass, chain);
  const chains = cp.pass.chains!.map((x, i) => (i === chain ? { ...c, cursor: null, since: c.maxSeen ?? c.since } : x));
  return { ...cp, pass: { ...cp.pass, chains } };
}

/**
 * Keeps an older version of a record from overwriting a newer one committed by another chain of the same
 * pass. Only records whose `update_time` is at or after `fromMs` (the pass's start less the clock-skew
 * overlap) can have a newer version read in the same pass, so only those are remembered: a few, not the list.
 */
export class NewerGuard {
  private readonly seen = new Map<number, number>();

  constructor(private readonly fromMs: number) {}

  /** The records of a page about to be committed, less those older than a version already committed. */
  keep<R extends { id: number; updateTime: string }>(records: readonly R[]): R[] {
    return records.filter((r) => {
      const t = Date.parse(r.updateTime);
      const prev = this.seen.get(r.id);
      if (prev !== undefined && prev > t) return false;
      if (t >= this.fromMs) this.seen.set(r.id, t);
      return true;
    });
  }
}

/**
 * Right after a full pass's first page (on its own cursor): the pass split into chains when the rest is
 * large enough, else unchanged (it goes on with that cursor). Committed with the first page, so a crash
 * never leaves a pass half decided. An incremental pass is never split: its first page cannot tell its size
 * (a bulk edit stamps hundreds of records with one second, and the span since the bookmark is no sample of
 * the night), and a night of the usual size must keep its cost.
 */
export function splitAfterFirstPage(cp: SyncCheckpoint, facts: FirstPageFacts | undefined, tuning: ChainTuning): SyncCheckpoint {
  const pass = cp.pass;
  if (pass === null || pass.kind !== 'full' || pass.pages !== 1 || pass.chains !== undefined || pass.cursor === null || pass.maxSeen === null || facts === undefined) return cp;
  const windows = splitWindows(pass.maxSeen, facts.nowMs, chainCount(estimatePages(facts), tuning));
  return windows.length < 2 ? cp : splitPass(cp, windows);
}
