import { describe, expect, it } from 'vitest';
import { emptyCheckpoint, SyncCheckpoint } from '../../../src/store/schemas.js';
import {
  advanceChain,
  chainCount,
  chainView,
  estimatePages,
  NewerGuard,
  restartChainFromBoundary,
  splitAfterFirstPage,
  splitPass,
  splitWindows,
} from '../../../src/sync/chains.js';
import { nextCheckpoint, startPass } from '../../../src/sync/next-checkpoint.js';

const NOW = '2026-06-01T02:00:00.000Z';
const NOW_MS = Date.parse(NOW);
const page = (times: string[], next: string | null, at = NOW) => ({ updateTimes: times, rawCount: times.length, nextCursor: next, at });
const TUNING = { maxChains: 4, minPagesPerChain: 16 };

describe('estimatePages', () => {
  it('extrapolates the first page’s records per second of update_time to the run’s clock', () => {
    // 500 records over one day, 9 days more to read: 1 + 9 pages.
    expect(estimatePages({ first: '2026-05-22T02:00:00Z', last: '2026-05-23T02:00:00Z', rawCount: 500, nowMs: NOW_MS })).toBe(10);
  });

  it('prefers the previous night’s count when there is one, at the page size the API serves', () => {
    expect(estimatePages({ first: '2026-05-22T02:00:00Z', last: '2026-05-23T02:00:00Z', rawCount: 500, nowMs: NOW_MS, knownRecords: 200_000 })).toBe(400);
    expect(estimatePages({ first: '2026-05-22T02:00:00Z', last: '2026-05-23T02:00:00Z', rawCount: 12, nowMs: NOW_MS, knownRecords: 120 })).toBe(10);
  });

  it('takes a page whose records share one second as the sign of a long list', () => {
    expect(estimatePages({ first: '2026-05-22T02:00:00Z', last: '2026-05-22T02:00:00Z', rawCount: 500, nowMs: NOW_MS })).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('chainCount', () => {
  it('one chain per minPagesPerChain pages, at most maxChains, at least one', () => {
    expect(chainCount(10, TUNING)).toBe(1);
    expect(chainCount(31, TUNING)).toBe(1);
    expect(chainCount(32, TUNING)).toBe(2);
    expect(chainCount(2080, TUNING)).toBe(4);
    expect(chainCount(Number.POSITIVE_INFINITY, TUNING)).toBe(4);
    expect(chainCount(2080, { maxChains: 1, minPagesPerChain: 1 })).toBe(1);
  });
});

describe('splitWindows', () => {
  it('cuts equal spans at whole seconds from the first page’s last update_time, the last window open', () => {
    const w = splitWindows('2026-05-28T02:00:00.500Z', NOW_MS, 4);
    expect(w).toEqual([
      { since: '2026-05-28T02:00:00.500Z', until: '2026-05-29T01:59:59Z' },
      { since: '2026-05-29T01:59:59Z', until: '2026-05-30T01:59:59Z' },
      { since: '2026-05-30T01:59:59Z', until: '2026-05-31T01:59:59Z' },
      { since: '2026-05-31T01:59:59Z', until: null },
    ]);
  });

  it('windows are contiguous: every update_time from the start on falls in exactly one', () => {
    const w = splitWindows('2026-01-01T00:00:00Z', NOW_MS, 3);
    for (let i = 1; i < w.length; i++) expect(w[i]!.since).toBe(w[i - 1]!.until);
    for (let i = 1; i < w.length; i++) expect(Date.parse(w[i]!.since)).toBeGreaterThan(Date.parse(w[i - 1]!.since));
  });

  it('fewer windows than seconds, and one when the clock is not after the start', () => {
    expect(splitWindows('2026-06-01T01:59:58Z', NOW_MS, 4)).toHaveLength(2);
    expect(splitWindows('2026-06-01T03:00:00Z', NOW_MS, 4)).toEqual([{ since: '2026-06-01T03:00:00Z', until: null }]);
  });
});

describe('a pass split into chains', () => {
  const firstPage = () => nextCheckpoint(startPass(emptyCheckpoint('activity'), { now: NOW }), page(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'], 'c1'));

  it('splits after the first page only when the rest is large, keeping the first page counted', () => {
    const cp = firstPage();
    const facts = { first: '2026-01-01T00:00:00Z', last: '2026-01-02T00:00:00Z', rawCount: 2, nowMs: NOW_MS };
    const split = splitAfterFirstPage(cp, facts, TUNING);
    expect(split.pass).toMatchObject({ cursor: null, pages: 1, records: 2, maxSeen: '2026-01-02T00:00:00Z' });
    expect(split.pass?.chains).toHaveLength(4);
    expect(split.pass?.chains?.[0]).toEqual({ since: '2026-01-02T00:00:00Z', until: expect.any(String), cursor: null, maxSeen: null, pages: 0, records: 0, done: false });
    // A short list (the previous night says 20 records) goes on with its own cursor.
    expect(splitAfterFirstPage(cp, { ...facts, knownRecords: 20 }, TUNING)).toBe(cp);
    // An incremental pass is never split: its first page says nothing reliable about the night's size.
    const incremental = nextCheckpoint(startPass({ ...emptyCheckpoint('activity'), bookmark: '2025-12-31T00:00:00Z' }, { now: NOW }), page(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'], 'c1'));
    expect(splitAfterFirstPage(incremental, facts, TUNING)).toBe(incremental);
    // A first page that was the last one: nothing to split.
    const done = nextCheckpoint(startPass(emptyCheckpoint('activity'), { now: NOW }), page(['2026-01-01T00:00:00Z'], null));
    expect(splitAfterFirstPage(done, facts, TUNING)).toBe(done);
  });

  it('each chain advances on its own cursor; the pass ends, with the bookmark at the max of all chains, when every chain is done', () => {
    let cp = splitPass(firstPage(), [
      { since: '2026-01-02T00:00:00Z', until: '2026-03-01T00:00:00Z' },
      { since: '2026-03-01T00:00:00Z', until: null },
    ]);
    cp = advanceChain(cp, 1, page(['2026-04-01T00:00:00Z'], 'b1'));
    expect(chainView(cp.pass!, 1)).toEqual({ since: '2026-03-01T00:00:00Z', until: null, cursor: 'b1', done: false });
    cp = advanceChain(cp, 0, page(['2026-02-01T00:00:00Z'], null));
    expect(chainView(cp.pass!, 0).done).toBe(true);
    expect(cp.pass).toMatchObject({ pages: 3, records: 4, maxSeen: '2026-04-01T00:00:00Z' });
    cp = advanceChain(cp, 1, page(['2026-05-01T00:00:00Z'], null, '2026-06-01T02:10:00.000Z'));
    expect(cp).toMatchObject({ pass: null, bookmark: '2026-05-01T00:00:00Z', lastPassPages: 4, lastFullAt: '2026-06-01T02:10:00.000Z' });
  });

  it('an empty window is one empty page and done', () => {
    let cp = splitPass(firstPage(), [
      { since: '2026-01-02T00:00:00Z', until: '2026-03-01T00:00:00Z' },
      { since: '2026-03-01T00:00:00Z', until: null },
    ]);
    cp = advanceChain(cp, 0, page([], null));
    cp = advanceChain(cp, 1, page([], null));
    expect(cp).toMatchObject({ pass: null, bookmark: '2026-01-02T00:00:00Z', lastPassPages: 3 });
  });

  it('a refused cursor restarts that chain alone from its committed boundary', () => {
    let cp = splitPass(firstPage(), [
      { since: '2026-01-02T00:00:00Z', until: '2026-03-01T00:00:00Z' },
      { since: '2026-03-01T00:00:00Z', until: null },
    ]);
    cp = advanceChain(cp, 0, page(['2026-02-01T00:00:00Z'], 'a1'));
    cp = advanceChain(cp, 1, page(['2026-04-01T00:00:00Z'], 'b1'));
    cp = restartChainFromBoundary(cp, 0);
    expect(chainView(cp.pass!, 0)).toEqual({ since: '2026-02-01T00:00:00Z', until: '2026-03-01T00:00:00Z', cursor: null, done: false });
    expect(chainView(cp.pass!, 1).cursor).toBe('b1');
  });

  it('nextCheckpoint refuses a split pass (each page belongs to a chain)', () => {
    const cp = splitPass(firstPage(), [{ since: '2026-01-02T00:00:00Z', until: null }]);
    expect(() => nextCheckpoint(cp, page([], null))).toThrow(/split into chains/);
  });
});

describe('checkpoints written before the chains existed', () => {
  it('a one-chain pass in progress still parses and reads as the pass’s own cursor', () => {
    const old = {
      entity: 'deal',
      bookmark: null,
      pass: { kind: 'full', since: null, cursor: 'c7', maxSeen: '2026-01-02T00:00:00Z', startedAt: NOW, pages: 7, records: 3500 },
      lastCompletedAt: null,
      lastFullAt: null,
      lastReconcileAt: null,
      lastPassPages: 0,
    };
    const cp = SyncCheckpoint.parse(old);
    expect(cp.pass?.chains).toBeUndefined();
    expect(chainView(cp.pass!, null)).toEqual({ since: null, until: null, cursor: 'c7', done: false });
    // It is not split mid-way (its cursor belongs to its filters): the first-page split leaves it alone.
    expect(splitAfterFirstPage(cp, { first: '2026-01-01T00:00:00Z', last: '2026-01-01T00:00:01Z', rawCount: 500, nowMs: NOW_MS }, TUNING)).toBe(cp);
  });
});

describe('NewerGuard', () => {
  const rec = (id: number, updateTime: string) => ({ id, updateTime });

  it('drops an older version of a record a chain committed newer, in either order of arrival', () => {
    const g = new NewerGuard(Date.parse('2026-06-01T00:00:00Z'));
    // The last chain committed the new version first (updated during the pull) …
    expect(g.keep([rec(1, '2026-06-01T01:00:00Z')])).toHaveLength(1);
    // … then a bounded chain's page, read before the update, arrives with the old one: dropped.
    expect(g.keep([rec(1, '2026-02-01T00:00:00Z'), rec(2, '2026-02-01T00:00:00Z')])).toEqual([rec(2, '2026-02-01T00:00:00Z')]);
    // The same version again (the inclusive boundary) and a newer one pass.
    expect(g.keep([rec(1, '2026-06-01T01:00:00Z')])).toHaveLength(1);
    expect(g.keep([rec(1, '2026-06-01T01:30:00Z')])).toHaveLength(1);
  });

  it('remembers only records updated since the pass began, not the whole list', () => {
    const g = new NewerGuard(Date.parse('2026-06-01T00:00:00Z'));
    g.keep([rec(5, '2026-03-01T00:00:00Z')]);
    // An even older version of an old record cannot be told apart (and cannot occur: versions only move forward).
    expect(g.keep([rec(5, '2026-02-01T00:00:00Z')])).toHaveLength(1);
  });
});
