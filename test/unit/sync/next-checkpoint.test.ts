import { describe, expect, it } from 'vitest';
import { emptyCheckpoint } from '../../../src/store/schemas.js';
import { markReconciled, nextCheckpoint, reconcileDue, restartPassFromBoundary, startPass } from '../../../src/sync/next-checkpoint.js';

const NOW = '2026-06-01T02:00:00.000Z';
const page = (times: string[], next: string | null, at = NOW) => ({ updateTimes: times, rawCount: times.length, nextCursor: next, at });

describe('startPass', () => {
  it('starts a full pass without a bookmark', () => {
    const cp = startPass(emptyCheckpoint('deal'), { now: NOW });
    expect(cp.pass).toEqual({ kind: 'full', since: null, cursor: null, maxSeen: null, startedAt: NOW, pages: 0, records: 0 });
  });

  it('starts an incremental pass from the bookmark minus the overlap', () => {
    const cp = startPass({ ...emptyCheckpoint('deal'), bookmark: '2026-05-31T10:00:00Z' }, { now: NOW, overlapMs: 60_000 });
    expect(cp.pass).toMatchObject({ kind: 'incremental', since: '2026-05-31T09:59:00Z' });
  });

  it('keeps a pass in progress (resume), unless a full rebuild is asked over an incremental one', () => {
    const running = startPass({ ...emptyCheckpoint('deal'), bookmark: '2026-05-31T10:00:00Z' }, { now: NOW });
    const advanced = nextCheckpoint(running, page(['2026-05-31T11:00:00Z'], 'c1'));
    expect(startPass(advanced, { now: '2026-06-02T00:00:00Z' })).toBe(advanced);
    expect(startPass(advanced, { now: NOW, full: true }).pass).toMatchObject({ kind: 'full', cursor: null, since: null });
  });
});

describe('nextCheckpoint', () => {
  it('records the next cursor and the max update_time seen after every page', () => {
    let cp = startPass(emptyCheckpoint('activity'), { now: NOW });
    cp = nextCheckpoint(cp, page(['2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z'], 'c1'));
    expect(cp.pass).toMatchObject({ cursor: 'c1', maxSeen: '2026-01-03T00:00:00Z', pages: 1, records: 2 });
    expect(cp.bookmark).toBeNull();
    cp = nextCheckpoint(cp, page(['2026-01-02T00:00:00Z'], 'c2'));
    expect(cp.pass?.maxSeen).toBe('2026-01-03T00:00:00Z');
  });

  it('moves the bookmark to the max seen when the last page arrives, and ends the pass', () => {
    let cp = startPass(emptyCheckpoint('activity'), { now: NOW });
    cp = nextCheckpoint(cp, page(['2026-01-01T00:00:00Z'], 'c1'));
    cp = nextCheckpoint(cp, page(['2026-01-05T00:00:00Z'], null, '2026-06-01T02:05:00.000Z'));
    expect(cp).toMatchObject({
      bookmark: '2026-01-05T00:00:00Z',
      pass: null,
      lastCompletedAt: '2026-06-01T02:05:00.000Z',
      lastFullAt: '2026-06-01T02:05:00.000Z',
      lastPassPages: 2,
    });
  });

  it('never moves the bookmark backwards (an empty incremental pass keeps it)', () => {
    let cp = startPass({ ...emptyCheckpoint('person'), bookmark: '2026-05-01T00:00:00Z', lastFullAt: 'x' }, { now: NOW });
    cp = nextCheckpoint(cp, page([], null));
    expect(cp.bookmark).toBe('2026-05-01T00:00:00Z');
    expect(cp.lastFullAt).toBe('x');
    expect(cp.lastPassPages).toBe(1);
  });

  it('compares times as instants, not strings', () => {
    let cp = startPass(emptyCheckpoint('person'), { now: NOW });
    cp = nextCheckpoint(cp, page(['2026-01-01T10:00:00.5Z', '2026-01-01T10:00:00Z'], null));
    expect(cp.bookmark).toBe('2026-01-01T10:00:00.5Z');
  });

  it('refuses a page without a pass', () => {
    expect(() => nextCheckpoint(emptyCheckpoint('deal'), page([], null))).toThrow(/startPass/);
  });
});

describe('restartPassFromBoundary', () => {
  it('drops the cursor and restarts from the highest committed update_time', () => {
    let cp = startPass(emptyCheckpoint('deal'), { now: NOW });
    cp = nextCheckpoint(cp, page(['2026-01-04T00:00:00Z'], 'c1'));
    expect(restartPassFromBoundary(cp).pass).toMatchObject({ cursor: null, since: '2026-01-04T00:00:00Z', kind: 'full', pages: 1 });
  });
});

describe('reconcileDue', () => {
  const done = (e: 'deal' | 'person', at: string | null, full = '2026-05-01T00:00:00Z') => ({ ...emptyCheckpoint(e), bookmark: 'b', lastFullAt: full, lastReconcileAt: at });
  it('is not due before the first full pull', () => {
    expect(reconcileDue([emptyCheckpoint('deal')], NOW, 7)).toBe(false);
  });
  it('counts a full pull as a reconciliation and is due after the interval', () => {
    expect(reconcileDue([done('deal', null, '2026-05-30T00:00:00Z')], NOW, 7)).toBe(false);
    expect(reconcileDue([done('deal', null, '2026-05-20T00:00:00Z')], NOW, 7)).toBe(true);
    expect(reconcileDue([done('deal', '2026-05-31T00:00:00Z'), done('person', '2026-05-10T00:00:00Z')], NOW, 7)).toBe(true);
    expect(reconcileDue([markReconciled(done('deal', null), NOW)], NOW, 7)).toBe(false);
  });
});
