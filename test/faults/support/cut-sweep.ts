/**
 * The cut-point sweep of issue 19: the real `cadence run-once` against the sandbox, a first sync of a small
 * company spread over many pages (the sandbox serves at most `PAGE_ITEMS` records a page), with the read-ahead
 * and the four parallel pulls as in production, and one fault at the n-th API request of the night:
 *
 * - `budget`: the company's daily token budget runs out just before request n (it and every later request
 *   get Pipedrive's daily 429);
 * - `token`: the API token is revoked just before request n (401 from then on).
 *
 * The cut points are a seeded sample of the page boundaries of an uninterrupted first night: its reference
 * requests (users, activity types, field catalogues; sent one after the other), and the k-th list request of
 * each entity's chain, whatever the other three chains are doing at that moment (they run in parallel, so the
 * interleaving is the one of the moment). The sample covers every entity. For each one, from an empty state:
 * the night exits with the fault's code (4, 3) without a stack on stderr, its run is recorded, no lock is
 * left; the next night (budget reset, token valid again) resumes from the checkpoints, exits 0, and the
 * list pages of both nights together are at least ⌈records / page⌉ per entity and at most the pages of an
 * uninterrupted first sync plus the overlap the checkpoints left by the cut allow: one page per cursor
 * chain still running (a page read ahead and not committed), one per entity already complete (its
 * incremental page), and, for a pass whose first page is not read yet, the chains it may still be split
 * into less one (its windows are cut at another time than the uninterrupted night's, each chain costing at
 * most one page more; issue 15). With the default CADENCE_SYNC_CHAIN_MIN_PAGES the activities' list is
 * large enough to be split. The children run with `--unhandled-rejections=strict` (support/cli.ts), so a
 * rejection nobody handled ends the night with another exit code and fails the sweep.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { createPrng } from '../../../sandbox/prng.js';
import type { ScaleNumbers } from '../../../sandbox/generator.js';
import { SYNCED_ENTITIES, type EntityKind } from '../../../src/domain/entities.js';
import { opsStoreFor } from '../../../src/ops/ops-store.js';
import { companyLockName } from '../../../src/ops/run-all-companies.js';
import { readRunRecord, type CompanyRunRecord } from '../../../src/ops/run-record.js';
import { openStateStore } from '../../../src/store/open-state-store.js';
import type { SyncCheckpoint } from '../../../src/store/schemas.js';
import { diff, expectMirrorEqualsSandbox, listRequests } from '../../e2e/support/sync-expect.js';
import { COMPANY, quiet, startCompany, TOKEN, type FaultCompany } from './company.js';

/** 40 clients, 80 persons, 80 deals, 320 activities: a night of a couple of seconds. */
export const SWEEP_SCALE: ScaleNumbers = { organizations: 40, personsPerOrg: 2, dealsPerOrg: 2, activitiesPerOrg: 8 };
/** Records per list page: 12 makes the first sync ~45 list pages, every entity several. */
export const PAGE_ITEMS = 12;
/** Most cursor chains one list is read with (CADENCE_SYNC_CHAINS, default). */
const MAX_CHAINS = 4;

/** Pages both nights may read beyond an uninterrupted night's, from the checkpoints the cut left (see the header). */
export function chainOverlap(cps: readonly SyncCheckpoint[]): number {
  return cps.reduce((n, cp) => {
    if (cp.pass === null) return n + 1;
    // Past its first page without chains: decided not to split, one chain to the end.
    if (cp.pass.chains === undefined) return n + 1 + (cp.pass.pages === 0 ? MAX_CHAINS - 1 : 0);
    return n + cp.pass.chains.filter((c) => !c.done).length;
  }, 0);
}

export type CutFault = 'budget' | 'token';

const EXPECTED_EXIT: Record<CutFault, number> = { budget: 4, token: 3 };
const ENTITY_OF_PATH: Record<string, EntityKind> = {
  '/api/v2/organizations': 'organization',
  '/api/v2/persons': 'person',
  '/api/v2/deals': 'deal',
  '/api/v2/activities': 'activity',
};

/** A page boundary: the n-th request of the night (reference data), or the k-th list request of one entity. */
export type CutPoint = { reference: number } | { entity: EntityKind; page: number };

export const ENTITY_PATH: Record<EntityKind, string> = Object.fromEntries(Object.entries(ENTITY_OF_PATH).map(([path, e]) => [e, path])) as Record<EntityKind, string>;

export const describeCut = (p: CutPoint): string => ('reference' in p ? `reference request ${p.reference}` : `${p.entity} page ${p.page}`);

export interface CutResult {
  at: CutPoint;
  /** The request the fault hit (method and path). */
  hit: string;
  exit: number | null;
  ms: number;
  pagesBothNights: number;
  recordAfterCut: CompanyRunRecord['status'] | undefined;
}

export interface SweepResult {
  requestsPerNight: number;
  /** List pages of an uninterrupted first sync, per entity. */
  pagesPerEntity: Record<EntityKind, number>;
  minimumPages: number;
  cuts: CutResult[];
}

/** Any line of a JavaScript stack trace, or Node's own crash banner. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$|triggerUncaughtException|node:internal/m;

export async function runCutSweep({ fault, seed, points, lanes }: { fault: CutFault; seed: number; points: number; lanes: number }): Promise<SweepResult> {
  const now = new Date();
  const companies: FaultCompany[] = [];
  try {
    for (let i = 0; i < lanes; i++) {
      companies.push(await startCompany(now, { scale: SWEEP_SCALE, seed: 19, sandbox: { knobs: { maxPageItems: PAGE_ITEMS } } }));
    }
    let stateN = 0;
    const freshEnv = (c: FaultCompany) => {
      const n = ++stateN;
      // A first night: a state store and report folder of its own. Dry run: the sweep is about the sync.
      return { CADENCE_STATE_URL: `sqlite://${join(c.dir, `state-${n}.sqlite`)}`, CADENCE_REPORT_DIR: join(c.dir, `reports-${n}`), CADENCE_DRY_RUN: 'true' };
    };

    // The uninterrupted first night: how many requests it sends, how many list pages it reads.
    const ref = companies[0]!;
    const before = listRequests(ref.sandbox);
    ref.proxy.setDecide(() => undefined, { reset: true });
    const clean = await ref.cli(['run-once'], freshEnv(ref));
    expect(clean.code, clean.stderr).toBe(0);
    const requestsPerNight = ref.proxy.count();
    const pagesPerEntity = diff(listRequests(ref.sandbox), before);
    const minimumPages = sum(pagesPerEntity);
    const referenceRequests = requestsPerNight - minimumPages;

    const all: CutPoint[] = [
      ...Array.from({ length: referenceRequests }, (_, i): CutPoint => ({ reference: i + 1 })),
      ...SYNCED_ENTITIES.flatMap((entity) => Array.from({ length: pagesPerEntity[entity] }, (_, i): CutPoint => ({ entity, page: i + 1 }))),
    ];
    expect(all.length).toBeGreaterThanOrEqual(points);
    const prng = createPrng(seed);
    for (let i = all.length - 1; i > 0; i--) {
      const j = prng.int(0, i);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    const cutPoints = all.slice(0, points);

    const cuts: CutResult[] = [];
    const queue = [...cutPoints];
    await Promise.all(
      companies.map(async (c) => {
        for (let at = queue.shift(); at !== undefined; at = queue.shift()) cuts.push(await cutAt(c, fault, at, freshEnv(c), minimumPages));
      }),
    );
    const order = (p: CutPoint) => ('reference' in p ? p.reference : 1000 * (1 + SYNCED_ENTITIES.indexOf(p.entity)) + p.page);
    cuts.sort((a, b) => order(a.at) - order(b.at));
    return { requestsPerNight, pagesPerEntity, minimumPages, cuts };
  } finally {
    for (const c of companies) await c.close();
  }
}

async function cutAt(c: FaultCompany, fault: CutFault, at: CutPoint, env: Record<string, string>, minimumPages: number): Promise<CutResult> {
  const where = `${fault} cut at ${describeCut(at)}`;
  c.sandbox.resetRateLimits();
  c.sandbox.setDailyTokenBudget(1_000_000_000);
  c.sandbox.setToken(TOKEN);
  const pagesBefore = listRequests(c.sandbox);
  let hit = '';
  let pagesOfEntity = 0;
  c.proxy.setDecide(
    (n, req) => {
      const path = req.url.split('?')[0]!;
      const here = 'reference' in at ? n === at.reference : path === ENTITY_PATH[at.entity] && ++pagesOfEntity === at.page;
      if (!here || hit !== '') return undefined;
      hit = `${req.method} ${path}`;
      return {
        kind: 'before',
        forward: true,
        run: () => (fault === 'budget' ? c.sandbox.setDailyTokenBudget(c.sandbox.stats().tokensSpent) : c.sandbox.revokeToken()),
      };
    },
    { reset: true },
  );
  const t0 = Date.now();
  const night = await c.cli(['run-once'], env);
  const ms = Date.now() - t0;
  const said = `exit ${night.code}; stdout: ${night.stdout.slice(-1500)}; stderr: ${night.stderr.slice(-1500)}`;
  expect(hit, `${where}: the night ended before the cut point after ${pagesOfEntity} such requests (${said})`).not.toBe('');
  expect({ where, code: night.code, signal: night.signal }, night.stderr).toEqual({ where, code: EXPECTED_EXIT[fault], signal: null });
  expect(night.stderr, `${where}: a stack on stderr`).not.toMatch(STACK);
  expect(`${night.stdout}${night.stderr}`).not.toContain(TOKEN);

  const store = await openStateStore(env.CADENCE_STATE_URL!, quiet);
  let recordAfterCut: CompanyRunRecord['status'] | undefined;
  let overlap = 0;
  try {
    overlap = chainOverlap(await Promise.all(SYNCED_ENTITIES.map((e) => store.company(COMPANY).checkpoints.get(e))));
    const ops = opsStoreFor(store);
    const record = await readRunRecord(ops.records, COMPANY);
    recordAfterCut = record?.status;
    if (fault === 'budget') expect({ where, status: record?.status, failures: record?.consecutiveFailures }).toEqual({ where, status: 'stopped-budget', failures: 0 });
    else expect({ where, status: record?.status, kind: record?.lastError?.kind }).toEqual({ where, status: 'failed', kind: 'auth' });
    expect(await ops.locks.holder(companyLockName(COMPANY)), `${where}: lock left behind`).toBeNull();
  } finally {
    await store.close();
  }

  // The next night: budget reset, token valid again.
  c.proxy.setDecide(undefined);
  c.sandbox.resetRateLimits();
  c.sandbox.setDailyTokenBudget(1_000_000_000);
  c.sandbox.setToken(TOKEN);
  const next = await c.cli(['run-once'], env);
  expect({ where, night: 'next', code: next.code }, next.stderr).toEqual({ where, night: 'next', code: 0 });
  expect(next.stderr).not.toMatch(STACK);
  const pagesBothNights = sum(diff(listRequests(c.sandbox), pagesBefore));
  const counts = c.sandbox.state.counts();
  const floor = [counts.organizations, counts.persons, counts.deals + counts.deleted.deals, counts.activities].reduce((n, r) => n + Math.max(1, Math.ceil(r / PAGE_ITEMS)), 0);
  expect(pagesBothNights, `${where}: list pages of both nights`).toBeGreaterThanOrEqual(floor);
  expect(pagesBothNights, `${where}: list pages of both nights`).toBeLessThanOrEqual(minimumPages + overlap);
  const store2 = await openStateStore(env.CADENCE_STATE_URL!, quiet);
  try {
    const state = store2.company(COMPANY);
    await expectMirrorEqualsSandbox(state, c.sandbox);
    for (const e of SYNCED_ENTITIES) expect({ where, e, pass: (await state.checkpoints.get(e)).pass }).toEqual({ where, e, pass: null });
    expect((await readRunRecord(opsStoreFor(store2).records, COMPANY))?.status).toBe('succeeded');
  } finally {
    await store2.close();
  }
  return { at, hit, exit: night.code, ms, pagesBothNights, recordAfterCut };
}

function sum(r: Record<EntityKind, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}
