/**
 * The state store's contract, run against every backend: a SQLite file, Redis (127.0.0.1:6379),
 * PostgreSQL (127.0.0.1:5432, db `test`) and memory. Each run uses its own keyv namespace and clears it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity, Organization } from '../../../src/domain/entities.js';
import { createLogger } from '../../../src/log/logger.js';
import { emptyCheckpoint } from '../../../src/store/schemas.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';

const logger = createLogger({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'cadence-store-'));
const RUN = `t${process.pid}_${Date.now()}`;

const BACKENDS: Array<[string, string]> = [
  ['sqlite', `sqlite://${join(dir, 'nested', 'state.sqlite')}`],
  ['redis', 'redis://127.0.0.1:6379'],
  ['postgres', 'postgres://postgres@127.0.0.1:5432/test'],
  ['memory', 'memory://'],
];

function org(id: number, name = `Org ${id}`, extra: Partial<Organization> = {}): Organization {
  return { id, name, ownerId: 1, address: null, addTime: '2026-01-01T00:00:00Z', updateTime: '2026-01-01T00:00:00Z', isDeleted: false, customFields: { k: [1, 2] }, ...extra };
}

function activity(id: number, orgId: number | null): Activity {
  return {
    id,
    subject: `A${id}`,
    type: 'call',
    ownerId: 2,
    orgId,
    dealId: null,
    personId: null,
    participantPersonIds: [],
    done: false,
    dueDate: '2026-02-01',
    dueTime: null,
    markedAsDoneTime: null,
    addTime: '2026-01-01T00:00:00Z',
    updateTime: '2026-01-01T00:00:00Z',
    isDeleted: false,
    cadenceKey: id % 2 === 0 ? `k:${id}` : null,
    hasNote: id % 2 === 0 ? null : id % 3 === 0, // unknown for the worker's own; else whether the note has text
  };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(BACKENDS)('state store contract: %s', (kind, url) => {
  let store: StateStore;
  let n = 0;
  // A fresh company per test keeps tests independent inside one namespace.
  const company = () => store.company(`acme-${kind}-${++n}`);

  beforeAll(async () => {
    store = await openStateStore(url, logger, { namespace: RUN, table: 'cadence_state_test', tuning: { mergePages: 3, chunkRows: 4 } });
    return async () => {
      await store.clearNamespace();
      await store.close();
    };
  });

  it('opens the right backend and exposes it for the lock module', () => {
    expect(store.kind).toBe(kind);
    expect(store.backend.kind).toBe(kind);
    expect(store.namespace).toBe(RUN);
  });

  it('round-trips a page, last write wins, tombstones remove', async () => {
    const c = company();
    await c.mirror.writePage('organization', { upserts: [org(1), org(2), org(3)] });
    await c.mirror.writePage('organization', { upserts: [org(2, 'Renamed')], deletes: [3] });
    const orgs = await c.mirror.loadEntity('organization');
    expect([...orgs.keys()].sort()).toEqual([1, 2]);
    expect(orgs.get(2)).toEqual(org(2, 'Renamed'));
    expect(orgs.get(1)).toEqual(org(1));
  });

  it('re-writing the same page (a resumed, inclusive boundary) changes nothing', async () => {
    const c = company();
    const page = [org(10), org(11)];
    await c.mirror.writePage('organization', { upserts: page });
    const once = await c.mirror.loadEntity('organization');
    await c.mirror.writePage('organization', { upserts: page });
    expect(await c.mirror.loadEntity('organization')).toEqual(once);
  });

  it('commits the checkpoint with the page, and returns an empty one before any sync', async () => {
    const c = company();
    expect(await c.checkpoints.get('deal')).toEqual(emptyCheckpoint('deal'));
    const cp = { ...emptyCheckpoint('organization'), bookmark: '2026-01-01T00:00:00Z' };
    await c.mirror.writePage('organization', { upserts: [org(1)] }, cp);
    expect(await c.checkpoints.get('organization')).toEqual(cp);
    const cp2 = { ...cp, lastReconcileAt: '2026-01-02T00:00:00Z' };
    await c.checkpoints.put('organization', cp2);
    expect(await c.checkpoints.get('organization')).toEqual(cp2);
    expect((await c.mirror.loadEntity('organization')).size).toBe(1);
  });

  it('merges small page segments into chunks without changing the content', async () => {
    const c = company();
    for (let p = 0; p < 7; p++) {
      await c.mirror.writePage('activity', { upserts: [activity(p * 2 + 1, 1), activity(p * 2 + 2, 2)], deletes: p === 5 ? [1, 2] : [] });
    }
    const sizes = await c.mirror.sizes('activity');
    expect(sizes.segments).toBeLessThan(7);
    const acts = await c.mirror.loadEntity('activity');
    expect([...acts.keys()].sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(acts.get(4)).toEqual(activity(4, 2));
  });

  it('compacts into deduplicated chunks and keeps the same records', async () => {
    const c = company();
    for (let i = 1; i <= 10; i++) await c.mirror.writePage('organization', { upserts: [org(i)] });
    await c.mirror.writePage('organization', { upserts: [org(1, 'One')], deletes: [10] });
    const before = await c.mirror.loadEntity('organization');
    const r = await c.mirror.compact('organization');
    expect(r.live).toBe(9);
    expect(r.segmentsAfter).toBe(3); // chunkRows 4 ⇒ 4 + 4 + 1
    expect(await c.mirror.loadEntity('organization')).toEqual(before);
    expect(await c.mirror.sizes('organization')).toMatchObject({ storedRows: 9, liveAtCompaction: 9, rowsSinceCompaction: 0 });
    expect(await c.mirror.compactIfNeeded('organization')).toBe(false);
  });

  it('overwrites a segment orphaned by a crash before its manifest was written', async () => {
    const c = company();
    await c.mirror.writePage('organization', { upserts: [org(1)] });
    // What a crash between the segment write and the manifest write leaves behind: the next segment id, unreferenced.
    await store.keyv.set(`c:${c.companyId}:m:organization:s:1`, { cols: ['id', 'name'], columns: [[99], ['ghost']], deletes: [] });
    expect([...(await c.mirror.loadEntity('organization')).keys()]).toEqual([1]);
    await c.mirror.writePage('organization', { upserts: [org(2)] });
    expect([...(await c.mirror.loadEntity('organization')).keys()].sort()).toEqual([1, 2]);
  });

  it('serializes concurrent page writes of one entity', async () => {
    const c = company();
    await Promise.all(Array.from({ length: 8 }, (_, i) => c.mirror.writePage('organization', { upserts: [org(i + 1)] })));
    expect((await c.mirror.loadEntity('organization')).size).toBe(8);
  });

  it('loads chosen columns only', async () => {
    const c = company();
    await c.mirror.writePage('activity', { upserts: [activity(1, 5), activity(2, null)] });
    const cols = await c.mirror.loadColumns('activity', ['id', 'orgId']);
    expect([...cols.entries()]).toEqual([
      [1, [1, 5]],
      [2, [2, null]],
    ]);
  });

  it('loads the whole snapshot with reference data', async () => {
    const c = company();
    await c.mirror.writePage('organization', { upserts: [org(1)] });
    await c.mirror.writePage('activity', { upserts: [activity(1, 1)] });
    await c.users.put([{ id: 3, name: 'Ana', email: 'a@x', active: true, isAdmin: false }]);
    await c.activityTypes.put([{ id: 1, name: 'Call', keyString: 'call', active: true, isCustom: false }]);
    await c.fields.put([{ entity: 'organization', key: 'h'.repeat(40), name: 'Tier', fieldType: 'enum', options: [{ id: 1, label: 'A' }], isCustom: true }]);
    const snap = await c.mirror.load();
    expect(snap.companyId).toBe(c.companyId);
    expect(snap.organizations.get(1)).toEqual(org(1));
    expect(snap.activities.get(1)).toEqual(activity(1, 1));
    expect(snap.persons.size + snap.deals.size).toBe(0);
    expect(snap.users.get(3)?.name).toBe('Ana');
    expect(snap.activityTypes.map((t) => t.keyString)).toEqual(['call']);
    expect(snap.fields[0]?.name).toBe('Tier');
    expect(await c.mirror.estimatedCounts()).toEqual({ organization: 1, person: 0, deal: 0, activity: 1 });
  });

  it('keeps companies apart', async () => {
    const a = company();
    const b = company();
    await a.mirror.writePage('organization', { upserts: [org(1)] });
    await a.users.put([{ id: 3, name: 'Ana', email: 'a@x', active: true, isAdmin: false }]);
    expect((await b.mirror.loadEntity('organization')).size).toBe(0);
    expect(await b.users.get()).toEqual([]);
  });

  it('keeps a run history, one entry per run, newest first', async () => {
    const c = company();
    await c.runs.append({ runId: 'r1', kind: 'sync', startedAt: 't1', finishedAt: null, status: 'running' });
    await c.runs.append({ runId: 'r1', kind: 'sync', startedAt: 't1', finishedAt: 't2', status: 'ok', requests: 3 });
    await c.runs.append({ runId: 'r2', kind: 'sync', startedAt: 't3', finishedAt: null, status: 'running' });
    await c.runs.append({ runId: 'r2', kind: 'nightly', startedAt: 't3', finishedAt: null, status: 'running' });
    const runs = await c.runs.list();
    expect(runs.map((r) => [r.runId, r.kind, r.status])).toEqual([
      ['r2', 'nightly', 'running'],
      ['r2', 'sync', 'running'],
      ['r1', 'sync', 'ok'],
    ]);
    expect(runs[2]?.requests).toBe(3);
    expect((await c.runs.list(1)).map((r) => r.kind)).toEqual(['nightly']);
  });

  it('keeps an intent ledger by key, long keys included', async () => {
    const c = company();
    const long = `create:${'x'.repeat(400)}`;
    expect(await c.ledger.get('k1')).toBeUndefined();
    await c.ledger.put('k1', { state: 'pending' });
    await c.ledger.put(long, { state: 'pending' });
    await c.ledger.put('k1', { state: 'done', activityId: 5 });
    expect(await c.ledger.get('k1')).toEqual({ state: 'done', activityId: 5 });
    expect(await c.ledger.get(long)).toEqual({ state: 'pending' });
    expect(await c.ledger.keys()).toEqual(['k1', long]);
  });

  it('appends to the audit log in order, across chunk boundaries', async () => {
    const c = company();
    for (let i = 0; i < 203; i++) expect(await c.audit.append({ i })).toBe(i);
    expect(await c.audit.count()).toBe(203);
    expect((await c.audit.list({ limit: 5 })).map((e) => e.i)).toEqual([198, 199, 200, 201, 202]);
    const all = await c.audit.list();
    expect(all).toHaveLength(203);
    expect(all.map((e) => e.i)).toEqual(Array.from({ length: 203 }, (_, i) => i));
    expect(all[0]).toEqual({ i: 0 });
  });

  it('drops an entity on clear', async () => {
    const c = company();
    await c.mirror.writePage('deal', { upserts: [] }, { ...emptyCheckpoint('deal'), bookmark: 'x' });
    await c.mirror.clear('deal');
    expect((await c.checkpoints.get('deal')).bookmark).toBeNull();
  });
});

describe('openStateStore', () => {
  it('rejects an unknown URL scheme with the accepted forms, hiding credentials', async () => {
    await expect(openStateStore('mysql://user:pw@host/db', logger)).rejects.toThrow(/sqlite:\/\/<file>, redis:\/\/host:port.*/);
    await expect(openStateStore('mysql://user:pw@host/db', logger)).rejects.not.toThrow(/pw/);
  });

  it('creates the folder of a SQLite file', async () => {
    const s = await openStateStore(`sqlite://${join(dir, 'a', 'b', 'c.sqlite')}`, logger);
    expect(s.backend.kind === 'sqlite' && s.backend.file).toBe(join(dir, 'a', 'b', 'c.sqlite'));
    await s.close();
  });
});
