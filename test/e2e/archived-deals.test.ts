/**
 * Archived deals end to end (real SDK over HTTP, the sandbox as Pipedrive, SQLite state). GET /api/v2/deals
 * lists only non-archived deals; archived ones have their own list, GET /api/v2/deals/archived. The worker
 * pulls both, keeps archived deals in the mirror and counts them (tier, revenue, tenure, squad rule,
 * activity linkage), never links a follow-up to one, and its reconciliation does not delete them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STORY } from '../../sandbox/generator.js';
import type { Sandbox } from '../../sandbox/server.js';
import { parsePolicy } from '../../src/config/load-config.js';
import { api } from '../sandbox/helpers.js';
import { contractRecorder } from '../contract/recorder.js';
import { startDemoWorld, type DemoWorld } from './support/demo-world.js';
import { runPipeline, type PipelineOutcome } from './support/pipeline.js';

const logger = pino({ level: 'silent' });
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const T0 = new Date('2026-03-12T15:00:00Z');
const DAY = 86_400_000;
const KEY = DEMO_STORY.keyAccountSquad!.orgId;

const contract = contractRecorder();
let sb: Sandbox;
let world: DemoWorld;
let clock: Date;
let dir: string;
let squadDealId: number;
let openDealId: number;
let viaDealActivityId: number;
const nights: PipelineOutcome[] = [];

const night = async (runId: string, reconcile: 'skip' | 'force' = 'skip') => {
  const out = await runPipeline({ baseUrl: sb.url, token: sb.token, stateUrl: `sqlite://${join(dir, 'state.sqlite')}`, companyId: 'demo-firm', now: clock, policy, logger, runId, apply: true, reconcile });
  nights.push(out);
  return out;
};
const keyOrg = (o: PipelineOutcome) => o.result.organizations.find((x) => x.orgId === KEY)!;

beforeAll(async () => {
  clock = T0;
  world = await startDemoWorld({ at: T0, now: () => clock, prefix: 'cadence-archived-', logger, setupPolicy: policy, sandbox: { onExchange: contract.onExchange } });
  ({ sb, dir } = world);

  const deals = sb.state.list('deal') as Array<{ id: number; org_id: number | null; status: string; owner_id: number }>;
  squadDealId = deals.find((d) => d.org_id === KEY && d.status === 'won')!.id;
  // A big open deal of the same client (it would be the follow-ups' deal) and an executive touchpoint
  // linked only through the squad deal (no organization on the activity).
  const owner = deals.find((d) => d.id === squadDealId)!.owner_id;
  openDealId = (sb.state.upsert('deal', { title: 'Expansão do squad', org_id: KEY, owner_id: owner, value: 900_000, currency: 'BRL', status: 'open' }) as { id: number }).id;
  // A first project two years ago: the client is no longer new (docs/policy.md §10.4), so it has gaps to follow up.
  sb.state.upsert('deal', { title: 'Diagnóstico inicial', org_id: KEY, owner_id: owner, value: 10_000, currency: 'BRL', status: 'won', won_time: new Date(T0.getTime() - 730 * DAY).toISOString() });
  const tenDaysAgo = new Date(T0.getTime() - 10 * DAY).toISOString().slice(0, 10);
  viaDealActivityId = (
    sb.state.upsert('activity', { subject: 'QBR — Revisão de negócios', type: 'meeting', deal_id: squadDealId, org_id: null, owner_id: owner, due_date: tenDaysAgo, done: true }) as { id: number }
  ).id;
  // Both deals archived through the API, before the first night.
  for (const id of [squadDealId, openDealId]) expect((await api(sb, 'PATCH', `/api/v2/deals/${id}`, { is_archived: true })).status).toBe(200);

  await night('night-1');
  clock = new Date(T0.getTime() + DAY);
  await night('night-2-reconcile', 'force');
  clock = new Date(T0.getTime() + 2 * DAY);
  await night('night-3');
});
afterAll(async () => {
  await world.close();
});

describe('an archived won squad deal', () => {
  it('keeps its client at Tier 3 (squad rule) through a night, a reconciliation and a second night', () => {
    expect(nights.map((n) => [n.sync.status, keyOrg(n).tier.level, keyOrg(n).tier.rule])).toEqual([
      ['ok', 3, 'key_account'],
      ['ok', 3, 'key_account'],
      ['ok', 3, 'key_account'],
    ]);
    expect(nights[1]!.sync.reconcile).toMatchObject({ ran: true, result: { removed: { deal: 0 } } });
  });

  it('stays in the mirror with its archived state, pulled from GET /api/v2/deals/archived', () => {
    for (const n of nights) {
      expect(n.snapshot.deals.get(squadDealId)).toMatchObject({ id: squadDealId, status: 'won', isArchived: true, orgId: KEY });
      expect(n.snapshot.deals.get(openDealId)).toMatchObject({ status: 'open', isArchived: true });
    }
    expect(nights[0]!.sync.archivedDeals).toMatchObject({ mode: 'full', completed: true, upserted: 2 });
    expect(nights[2]!.sync.archivedDeals).toMatchObject({ mode: 'incremental', completed: true });
    expect(sb.stats().byRoute['GET /api/v2/deals/archived 200']).toBeGreaterThanOrEqual(3);
  });

  it('links its activities to the client: a QBR reached only through the archived deal counts', () => {
    for (const n of nights) {
      expect(n.snapshot.activities.get(viaDealActivityId)).toMatchObject({ dealId: squadDealId });
      const qbr = keyOrg(n).cadence.find((c) => c.ruleId === 'qbr')!;
      expect(qbr.lastTouchpoint?.activityId).toBe(viaDealActivityId);
    }
    const keys = nights[0]!.plan.writes.filter((w) => w.orgId === KEY && w.kind === 'create_activity').map((w) => w.key);
    expect(keys.some((k) => k.includes(':qbr:'))).toBe(false);
  });

  it('never gets a follow-up linked to it, nor does the archived open deal', () => {
    const created = sb.writes().filter((w) => w.method === 'POST' && w.path.startsWith('/api/v2/activities') && w.status === 200);
    expect(created.length).toBeGreaterThan(0);
    const linked = created.map((w) => (w.body as { deal_id?: number }).deal_id).filter((d) => d !== undefined);
    expect(linked).not.toContain(squadDealId);
    expect(linked).not.toContain(openDealId);
    for (const n of nights) expect(keyOrg(n).relevantOpenDealId).toBeNull();
    expect(created.filter((w) => (w.body as { org_id?: number }).org_id === KEY).length).toBeGreaterThan(0);
  });

  it('every request and answer fits the published API', () => {
    contract.expectClean();
  });
});
