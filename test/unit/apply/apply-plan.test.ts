import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { applyPlan, applyStopNotices, formatApplySummary, type ApplyPlanInput } from '../../../src/apply/apply-plan.js';
import { provenanceMarker } from '../../../src/domain/provenance.js';
import { DailyBudgetExhaustedError, PipedriveAuthError, PipedriveServerError } from '../../../src/pipedrive/errors.js';
import type { CreateActivity, Plan, PlannedWrite } from '../../../src/plan/types.js';
import { FakePipedrive, MemoryState } from './fakes.js';

const logger = pino({ level: 'silent' });

function create(orgId: number, ruleId: string, window = '2026-03-01'): CreateActivity {
  const key = `fu:${orgId}:${ruleId}:${window}`;
  return {
    kind: 'create_activity',
    key,
    purpose: 'follow_up',
    orgId,
    ruleId,
    reason: 'Overdue',
    activity: { subject: `FUP ${orgId} ${ruleId}`, type: 'meeting', owner_id: 11, org_id: orgId, due_date: '2026-03-13', done: false, note: `<p>x</p><p>${provenanceMarker(key)}</p>` },
  };
}

function planOf(writes: PlannedWrite[], runId = 'run-1'): Plan {
  return { companyId: 'acme', runId, now: '2026-03-12T15:00:00Z', writes, skipped: [], warnings: [] };
}

const flags = (orgId: number): PlannedWrite => ({ kind: 'update_org_flags', key: `fl:${orgId}:abc`, orgId, customFields: { hash1: 7 }, changes: [{ flag: 'Health score', from: 80, to: 7 }] });

function run(plan: Plan, pd: FakePipedrive, state: MemoryState, over: Partial<ApplyPlanInput> = {}) {
  return applyPlan({ plan, client: pd, companyState: state, logger, maxWrites: 100, clock: { now: () => Date.parse('2026-03-12T15:00:00Z') }, ...over });
}

describe('applyPlan', () => {
  it('creates activities, updates flags and deletes cleared follow-ups, recording each in ledger and audit', async () => {
    const pd = new FakePipedrive();
    const cleared = pd.insert(create(3, 'strategic', '2026-02-01').activity);
    const state = new MemoryState();
    const plan = planOf([create(1, 'strategic'), create(1, 'qbr'), flags(1), { kind: 'delete_activity', key: `clr:${cleared.id}`, orgId: 3, activityId: cleared.id, reason: 'on track again' }]);
    const s = await run(plan, pd, state);
    expect(s.counts).toMatchObject({ created: 2, updated: 1, deleted: 1, failed: 0 });
    expect(pd.live('fu:1:strategic:2026-03-01')).toHaveLength(1);
    expect(pd.live('fu:1:qbr:2026-03-01')).toHaveLength(1);
    expect(pd.orgFields.get(1)).toEqual({ hash1: 7 });
    expect(pd.activities.get(cleared.id)!.isDeleted).toBe(true);
    expect(state.entries.get('fu:1:strategic:2026-03-01')).toMatchObject({ status: 'done', activityId: pd.live('fu:1:strategic:2026-03-01')[0]!.id });
    expect(state.auditLog.map((e) => [e.action, e.key, e.pipedriveId])).toEqual([
      ['create_activity', 'fu:1:strategic:2026-03-01', pd.live('fu:1:strategic:2026-03-01')[0]!.id],
      ['create_activity', 'fu:1:qbr:2026-03-01', pd.live('fu:1:qbr:2026-03-01')[0]!.id],
      ['update_org_flags', 'fl:1:abc', 1],
      ['delete_activity', `clr:${cleared.id}`, cleared.id],
    ]);
    expect(state.auditLog[0]).toMatchObject({ at: '2026-03-12T15:00:00.000Z', runId: 'run-1', companyId: 'acme', actor: 'pipedrive-cadence', reason: 'Overdue' });
    // creates, then flags, then deletes
    expect(pd.writes()).toEqual(['POST 1', 'POST 1', 'PATCH 1', `DELETE ${cleared.id}`]);
  });

  it('the same plan again writes nothing (ledger says done)', async () => {
    const pd = new FakePipedrive();
    const state = new MemoryState();
    const plan = planOf([create(1, 'strategic'), create(2, 'strategic')]);
    await run(plan, pd, state);
    pd.calls = [];
    const s = await run(planOf(plan.writes, 'run-2'), pd, state);
    expect(s.counts.already_done).toBe(2);
    expect(pd.calls).toEqual([]);
  });

  it('a lost state store: the activity is found in Pipedrive under its key and adopted, never re-created', async () => {
    const pd = new FakePipedrive();
    const plan = planOf([create(1, 'strategic')]);
    await run(plan, pd, new MemoryState());
    const fresh = new MemoryState();
    const s = await run(planOf(plan.writes, 'run-2'), pd, fresh);
    expect(s.counts).toMatchObject({ adopted: 1, created: 0 });
    expect(pd.live('fu:1:strategic:2026-03-01')).toHaveLength(1);
    expect(fresh.entries.get('fu:1:strategic:2026-03-01')).toMatchObject({ status: 'done' });
    expect(fresh.auditLog.map((e) => e.action)).toEqual(['adopt_activity']);
  });

  it('killed between the POST and the ledger write: the rerun adopts, one activity in the end', async () => {
    const pd = new FakePipedrive();
    const state = new MemoryState();
    state.failOnPut = 2; // put #1 = pending intent, #2 = done after the POST
    const plan = planOf([create(1, 'strategic')]);
    const first = await run(plan, pd, state);
    expect(first.counts.failed).toBe(1);
    expect(state.entries.get('fu:1:strategic:2026-03-01')).toMatchObject({ status: 'pending' });
    state.failOnPut = null;
    const second = await run(planOf(plan.writes, 'run-2'), pd, state);
    expect(second.counts).toMatchObject({ adopted: 1, created: 0 });
    expect(pd.live('fu:1:strategic:2026-03-01')).toHaveLength(1);
  });

  it('two replicas racing: the one whose copy has the higher id deletes it; exactly one remains', async () => {
    const pd = new FakePipedrive();
    const state = new MemoryState();
    const w = create(1, 'strategic');
    // The other replica's POST lands after our check and before ours: it gets the lower id.
    pd.beforeCreate = (draft) => {
      pd.beforeCreate = null;
      pd.insert(draft);
    };
    const s = await run(planOf([w]), pd, state);
    const left = pd.live(w.key);
    expect(left).toHaveLength(1);
    expect(s.duplicatesRemoved).toBe(1);
    expect(s.results[0]).toMatchObject({ outcome: 'adopted', pipedriveId: left[0]!.id });
    expect(state.entries.get(w.key)).toMatchObject({ status: 'done', activityId: left[0]!.id });
    expect(state.auditLog.map((e) => e.action)).toEqual(['create_activity', 'delete_duplicate']);
  });

  it('two replicas racing, ours first: ours (lower id) is kept', async () => {
    const pd = new FakePipedrive();
    const w = create(1, 'strategic');
    let ours = 0;
    pd.createMode = () => 'ok';
    const orig = pd.createActivity.bind(pd);
    pd.createActivity = async (draft) => {
      const a = await orig(draft);
      ours = a.id;
      pd.insert(draft); // the other replica's copy lands right after ours
      return a;
    };
    const s = await run(planOf([w]), pd, new MemoryState());
    expect(pd.live(w.key).map((a) => a.id)).toEqual([ours]);
    expect(s.results[0]).toMatchObject({ outcome: 'created', pipedriveId: ours });
  });

  it('a POST that timed out after landing is adopted by the verification, not re-sent', async () => {
    const pd = new FakePipedrive();
    pd.createMode = () => 'lost_after_apply';
    const state = new MemoryState();
    const w = create(1, 'strategic');
    const s = await run(planOf([w]), pd, state);
    expect(s.results[0]).toMatchObject({ outcome: 'adopted' });
    expect(pd.writes()).toEqual(['POST 1']);
    expect(state.entries.get(w.key)).toMatchObject({ status: 'done' });
  });

  it('a POST that timed out without landing stays pending; the next run creates it once', async () => {
    const pd = new FakePipedrive();
    pd.createMode = () => 'lost_before_apply';
    const state = new MemoryState();
    const w = create(1, 'strategic');
    const s = await run(planOf([w]), pd, state);
    expect(s.results[0]).toMatchObject({ outcome: 'failed' });
    expect(state.entries.get(w.key)).toMatchObject({ status: 'pending' });
    pd.createMode = () => 'ok';
    const s2 = await run(planOf([w], 'run-2'), pd, state);
    expect(s2.results[0]).toMatchObject({ outcome: 'created' });
    expect(pd.live(w.key)).toHaveLength(1);
  });

  it('refuses a plan larger than maxWrites unless forced', async () => {
    const pd = new FakePipedrive();
    const plan = planOf([create(1, 'a'), create(2, 'a'), create(3, 'a')]);
    const refused = await run(plan, pd, new MemoryState(), { maxWrites: 2 });
    expect(refused.refused).toMatch(/3 writes, more than the cap of 2.*--force/);
    // What the run and the report say about it, in their own words.
    expect(applyStopNotices(refused)).toEqual({ refused: { code: 'apply_refused', params: { writes: 3, max: 2 } }, aborted: null });
    expect(pd.calls).toEqual([]);
    expect(formatApplySummary(refused)).toMatch(/^apply refused/);
    const forced = await run(plan, pd, new MemoryState(), { maxWrites: 2, force: true });
    expect(forced.counts.created).toBe(3);
  });

  it('dry run touches nothing', async () => {
    const pd = new FakePipedrive();
    const state = new MemoryState();
    const s = await run(planOf([create(1, 'a'), flags(1)]), pd, state, { dryRun: true });
    expect(s.counts.planned).toBe(2);
    expect(pd.calls).toEqual([]);
    expect(state.puts).toBe(0);
  });

  it('the first apply against a company hands over the plan summary first; declining writes nothing', async () => {
    const pd = new FakePipedrive();
    const state = new MemoryState();
    const seen: string[] = [];
    const declined = await run(planOf([create(1, 'a')]), pd, state, { onFirstApply: (text) => (seen.push(text), false) });
    expect(seen[0]).toMatch(/follow-ups to create: +1/);
    expect(declined.firstApply).toBe(true);
    expect(declined.aborted).toMatch(/not confirmed/);
    expect(applyStopNotices(declined)).toEqual({ refused: null, aborted: { code: 'apply_not_confirmed', params: {} } });
    expect(declined.counts.not_attempted).toBe(1);
    expect(pd.calls).toEqual([]);
    const accepted = await run(planOf([create(1, 'a')]), pd, state, { onFirstApply: () => true });
    expect(accepted.counts.created).toBe(1);
    let called = false;
    const later = await run(planOf([create(2, 'a')]), pd, state, { onFirstApply: () => void (called = true) });
    expect(later.firstApply).toBe(false);
    expect(called).toBe(false);
  });

  it('a delete is skipped when the follow-up was edited or closed since the plan', async () => {
    const pd = new FakePipedrive();
    const edited = pd.insert(create(1, 'a').activity, { updateTime: '2026-03-12T16:00:00Z' });
    const done = pd.insert(create(1, 'b').activity, { done: true });
    const s = await run(
      planOf([
        { kind: 'delete_activity', key: `clr:${edited.id}`, orgId: 1, activityId: edited.id, reason: 'x' },
        { kind: 'delete_activity', key: `clr:${done.id}`, orgId: 1, activityId: done.id, reason: 'x' },
      ]),
      pd,
      new MemoryState(),
    );
    expect(s.results.map((r) => [r.outcome, r.detail])).toEqual([
      ['not_needed', 'edited since the plan; left in place'],
      ['not_needed', 'no longer open'],
    ]);
    expect(pd.writes()).toEqual([]);
  });

  it('an auth error stops the run; the rest is reported not attempted', async () => {
    const pd = new FakePipedrive();
    pd.createMode = () => new PipedriveAuthError('401: token rejected', { method: 'POST', path: '/api/v2/activities', status: 401 });
    const s = await run(planOf([create(1, 'a'), create(2, 'a'), flags(3)]), pd, new MemoryState());
    expect(s.aborted).toMatch(/token rejected/);
    expect(s.counts.not_attempted).toBe(3);
    expect(pd.writes()).toEqual(['POST 1']);
  });

  it('other failures are per write; five in a row stop the run', async () => {
    const pd = new FakePipedrive();
    pd.createMode = (d) => (d.org_id === 2 || d.org_id > 3 ? new PipedriveServerError('500', { method: 'POST', path: '/api/v2/activities', status: 500 }) : 'ok');
    const s = await run(planOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((o) => create(o, 'a'))), pd, new MemoryState());
    expect(s.results.slice(0, 3).map((r) => r.outcome)).toEqual(['created', 'failed', 'created']);
    expect(s.counts.failed).toBe(6); // org 2, then orgs 4–8
    expect(s.aborted).toMatch(/5 writes failed in a row/);
    expect(s.counts.not_attempted).toBe(2);
  });

  it('an aborted signal (lost company lock) stops before the next write', async () => {
    const pd = new FakePipedrive();
    const ctl = new AbortController();
    const s = await run(planOf([create(1, 'a'), create(2, 'a')]), pd, new MemoryState(), {
      signal: ctl.signal,
      onProgress: () => ctl.abort(new Error('lost the lock "company:acme"')),
    });
    expect(s.counts).toMatchObject({ created: 1, not_attempted: 1 });
    expect(s.aborted).toMatch(/lost the lock/);
  });
});

describe('applyPlan with several clients at once', () => {
  /** A fake whose calls take a turn of the event loop, counting how many are in flight. */
  class SlowPipedrive extends FakePipedrive {
    inFlight = 0;
    maxInFlight = 0;
    private async slow<T>(fn: () => Promise<T>): Promise<T> {
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      await new Promise((r) => setImmediate(r));
      try {
        return await fn();
      } finally {
        this.inFlight -= 1;
      }
    }
    override createActivity(d: Parameters<FakePipedrive['createActivity']>[0]) {
      return this.slow(() => super.createActivity(d));
    }
    override listOpenActivitiesForOrg(orgId: number) {
      return this.slow(() => super.listOpenActivitiesForOrg(orgId));
    }
    override updateOrganizationCustomFields(orgId: number, cf: Record<string, unknown>) {
      return this.slow(() => super.updateOrganizationCustomFields(orgId, cf));
    }
  }

  it('works on up to `concurrency` clients in parallel, each client in order, every write once, audit complete', async () => {
    const pd = new SlowPipedrive();
    const state = new MemoryState();
    const writes = Array.from({ length: 12 }, (_, i) => [create(i + 1, 'strategic'), flags(i + 1)]).flat();
    const s = await run(planOf(writes), pd, state, { concurrency: 4 });
    expect(s.counts).toMatchObject({ created: 12, updated: 12, failed: 0 });
    expect(pd.maxInFlight).toBe(4);
    for (let org = 1; org <= 12; org++) {
      expect(pd.live(`fu:${org}:strategic:2026-03-01`)).toHaveLength(1);
      // within a client: the create (and its checks) before its flags
      const calls = pd.calls.filter((c) => c.endsWith(` ${org}`));
      expect(calls.indexOf(`POST ${org}`)).toBeLessThan(calls.indexOf(`PATCH ${org}`));
    }
    expect(state.auditLog).toHaveLength(24);
    expect(new Set(state.auditLog.map((e) => e.key)).size).toBe(24);
  });

  it('a fatal error in one client stops new clients from starting; the others in flight finish their write', async () => {
    const pd = new SlowPipedrive();
    pd.createMode = (d) => (d.org_id === 2 ? new PipedriveAuthError('the API token was rejected: check PIPEDRIVE_API_TOKEN', { method: 'POST', path: '/api/v2/activities', status: 401 }) : 'ok');
    const state = new MemoryState();
    const writes = Array.from({ length: 10 }, (_, i) => create(i + 1, 'strategic'));
    const s = await run(planOf(writes), pd, state, { concurrency: 2 });
    expect(s.aborted).toMatch(/API token was rejected/);
    expect(s.counts.created).toBeLessThanOrEqual(2);
    expect(s.counts.not_attempted).toBeGreaterThanOrEqual(7);
    expect(pd.calls.filter((c) => c.startsWith('POST')).length).toBeLessThanOrEqual(3);
  });

  it('a fatal error in one client also stops the next write of the clients in flight; the stop reason is the first fatal error', async () => {
    const pd = new SlowPipedrive();
    const budget = new DailyBudgetExhaustedError('the daily budget is spent', { method: 'POST', path: '/api/v2/activities', status: 429 }, { dailyLimit: 700, dailyRemaining: 0 });
    // Client 2's first POST hits the budget; client 1, in flight beside it, would go on with three more.
    pd.createMode = (d) => (d.org_id === 2 ? budget : 'ok');
    const writes = [...['a', 'b', 'c', 'd'].map((r) => create(1, r)), create(2, 'a')];
    const s = await run(planOf(writes), pd, new MemoryState(), { concurrency: 2 });
    expect(s.aborted).toBe('the daily budget is spent');
    expect(s.stoppedBy).toBe('budget');
    expect(pd.calls.filter((c) => c === 'POST 1').length).toBeLessThanOrEqual(2);
    expect(s.counts.not_attempted).toBeGreaterThanOrEqual(2);
  });
});
