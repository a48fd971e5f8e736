/**
 * Parallel cursor chains (issue 15) end to end against the sandbox: a first night splits the large lists
 * into `updated_since`/`updated_until` windows read side by side, within ⌈N/page⌉ + chains pages, and ends
 * equal to the sandbox; records edited while the chains run converge by the next night; checkpoints written
 * before the chains existed resume. The sandbox serves 50 records a page so that small data makes many pages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateDataset, type ScaleNumbers } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox, type SandboxExchange } from '../../sandbox/server.js';
import { SYNCED_ENTITIES } from '../../src/domain/entities.js';
import { createLogger } from '../../src/log/logger.js';
import { createPipedriveClient } from '../../src/pipedrive/client.js';
import { emptyCheckpoint } from '../../src/store/schemas.js';
import { openStateStore, type StateStore } from '../../src/store/open-state-store.js';
import type { ChainTuning } from '../../src/sync/chains.js';
import { runSync, type RunSyncOptions } from '../../src/sync/run-sync.js';
import { contractRecorder } from '../contract/recorder.js';
import { diff, expectMirrorEqualsSandbox, listRequests } from './support/sync-expect.js';

const logger = createLogger({ level: 'silent' });
const SCALE: ScaleNumbers = { organizations: 200, personsPerOrg: 3, dealsPerOrg: 2, activitiesPerOrg: 10 };
const PAGE = 50;
const TUNING: ChainTuning = { maxChains: 4, minPagesPerChain: 3 };
const pagesAt = (n: number) => Math.max(1, Math.ceil(n / PAGE));

const contract = contractRecorder();
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
  contract.expectClean();
});

interface World {
  sandbox: Sandbox;
  store: StateStore;
  clock: { t: number };
  lists: SandboxExchange[];
  sync(extra?: Partial<RunSyncOptions>): ReturnType<typeof runSync>;
}

async function world(): Promise<World> {
  const clock = { t: Date.parse('2026-06-01T12:00:00Z') };
  const now = () => new Date(clock.t);
  const lists: SandboxExchange[] = [];
  const sandbox = await startSandbox({
    dataset: generateDataset({ seed: 15, now: now(), scale: SCALE }),
    now,
    rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 },
    knobs: { maxPageItems: PAGE },
    onExchange: (x) => {
      contract.onExchange(x);
      if (x.method === 'GET' && /^\/api\/v2\/(deals|persons|organizations|activities)$/.test(x.path)) lists.push(x);
    },
  });
  open.push(sandbox);
  const store = await openStateStore('memory://', logger);
  open.push(store);
  const client = createPipedriveClient({ connection: { baseUrl: sandbox.url, apiToken: sandbox.token, timeoutMs: 5_000, concurrency: 4 }, logger });
  const state = store.company('sandbox');
  return {
    sandbox,
    store,
    clock,
    lists,
    sync: (extra = {}) => runSync({ client, companyState: state, logger, clock: { now: () => clock.t }, reconcile: 'skip', chains: TUNING, ...extra }),
  };
}

/** Records per list as the sync walks it (deals listed with the deleted ones). */
function listSizes(sandbox: Sandbox) {
  const c = sandbox.state.counts();
  return { organization: c.organizations, person: c.persons, deal: c.deals + c.deleted.deals, activity: c.activities };
}

describe('parallel cursor chains', () => {
  it('a first night reads the large lists as update_time windows side by side, within ⌈N/page⌉ + chains pages, and ends equal', async () => {
    const w = await world();
    const summary = await w.sync();
    expect(summary.status).toBe('ok');
    await expectMirrorEqualsSandbox(w.store.company('sandbox'), w.sandbox);
    const sizes = listSizes(w.sandbox);
    const pages = listRequests(w.sandbox);
    for (const e of SYNCED_ENTITIES) {
      const chains = summary.entities[e].chains;
      expect({ e, pages: pages[e] }).toEqual({ e, pages: summary.entities[e].pages });
      expect(pages[e]).toBeGreaterThanOrEqual(pagesAt(sizes[e]));
      expect(pages[e]).toBeLessThanOrEqual(pagesAt(sizes[e]) + chains);
    }
    // 2,000 activities at 50 a page: four chains; their windows are bounded by updated_until but the last.
    expect(summary.entities.activity.chains).toBe(4);
    const activityWindows = new Set(w.lists.filter((x) => x.path === '/api/v2/activities' && x.query.updated_since).map((x) => `${x.query.updated_since}|${x.query.updated_until ?? ''}`));
    expect(activityWindows.size).toBe(4);
    expect([...activityWindows].filter((k) => k.endsWith('|'))).toHaveLength(1);
    // No request was sent twice (chains never overlap but at the first page's last second).
    const keys = w.lists.map((x) => `${x.path}?${new URLSearchParams(x.query).toString()}`);
    expect(new Set(keys).size).toBe(keys.length);

    // The next night is incremental, one chain per list, one page each: the cost it had before the chains.
    w.clock.t += 86_400_000;
    const before = listRequests(w.sandbox);
    const next = await w.sync();
    expect(diff(listRequests(w.sandbox), before)).toEqual({ organization: 1, person: 1, deal: 1, activity: 1 });
    for (const e of SYNCED_ENTITIES) expect(next.entities[e]).toMatchObject({ mode: 'incremental', chains: 1 });
  });

  it('records edited, added and deleted while the chains run are in the mirror by the next night', async () => {
    const w = await world();
    const s = w.sandbox.state;
    const byTime = <T extends { updateTime: number }>(xs: T[]) => [...xs].sort((a, b) => a.updateTime - b.updateTime);
    const oldest = byTime(s.list('activity') as Array<{ id: number; updateTime: number; done: boolean }>);
    const edits = [oldest[60]!, oldest[700]!, oldest[1400]!];
    let pagesSeen = 0;
    const summary = await w.sync({
      onProgress: (p) => {
        if (p.phase !== 'pull' || p.entity !== 'activity') return;
        pagesSeen += 1;
        // Mid-pull (the chains are running): records of early windows move to the open-ended one.
        if (pagesSeen === 4 || pagesSeen === 12) {
          w.clock.t += 1000;
          for (const a of edits) s.upsert('activity', { id: a.id, subject: `edited at page ${pagesSeen}` });
          s.remove('activity', oldest[300 + pagesSeen]!.id);
          s.upsert('organization', { id: (s.list('organization')[5 + pagesSeen] as { id: number }).id, name: `Renamed at page ${pagesSeen}` });
        }
      },
    });
    expect(summary.status).toBe('ok');
    expect(summary.entities.activity.chains).toBeGreaterThan(1);
    w.clock.t += 86_400_000;
    const next = await w.sync();
    expect(next.status).toBe('ok');
    await expectMirrorEqualsSandbox(w.store.company('sandbox'), w.sandbox);
  });

  it('a one-chain pass left by the version before the chains resumes on its cursor; a pass not yet begun is split', async () => {
    const w = await world();
    const state = w.store.company('sandbox');
    // The previous version: one chain per list (maxChains 1), stopped by a shutdown after some pages.
    const stop = new AbortController();
    let pages = 0;
    await expect(
      w.sync({
        chains: { maxChains: 1, minPagesPerChain: 1 },
        signal: stop.signal,
        onProgress: (p) => {
          if (p.phase === 'pull' && ++pages === 12) stop.abort();
        },
      }),
    ).rejects.toThrow();
    const left = await state.checkpoints.get('activity');
    expect(left.pass).not.toBeNull();
    expect(left.pass?.chains).toBeUndefined();
    expect(left.pass?.cursor).not.toBeNull();
    // What that version wrote is what it reads back: no `chains` key at all.
    expect(Object.keys(left.pass!)).not.toContain('chains');
    // A list whose pass began but read nothing yet (the run stopped before its first page).
    await state.checkpoints.put('person', { ...emptyCheckpoint('person'), pass: { kind: 'full', since: null, cursor: null, maxSeen: null, startedAt: new Date(w.clock.t).toISOString(), pages: 0, records: 0 } });
    const before = listRequests(w.sandbox);
    const resumed = await w.sync();
    expect(resumed.status).toBe('ok');
    expect(resumed.entities.activity).toMatchObject({ resumed: true, chains: 1, completed: true });
    expect(resumed.entities.person).toMatchObject({ resumed: true, completed: true });
    expect(resumed.entities.person.chains).toBeGreaterThan(1);
    await expectMirrorEqualsSandbox(state, w.sandbox);
    // The resumed activity chain went on from its cursor: together both runs read its list once, plus the page in flight.
    const sizes = listSizes(w.sandbox);
    expect(listRequests(w.sandbox).activity).toBeLessThanOrEqual(pagesAt(sizes.activity) + 2);
    expect(diff(listRequests(w.sandbox), before).person).toBeLessThanOrEqual(pagesAt(sizes.person) + resumed.entities.person.chains);
  });
});
