/** The worker's own writes put into the mirror after apply (apply/own-writes.ts): real apply, fake Pipedrive, memory store. */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../src/apply/apply-plan.js';
import { mirrorOwnWrites } from '../../../src/apply/own-writes.js';
import { provenanceMarker } from '../../../src/domain/provenance.js';
import { isUntouched } from '../../../src/plan/untouched.js';
import type { Plan, PlannedWrite } from '../../../src/plan/types.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import { activity, org, snapshot } from '../rules/fixtures.js';
import { FakePipedrive, MemoryState } from './fakes.js';

const logger = pino({ level: 'silent' });
const NOW = new Date('2026-03-12T15:00:00Z');
let store: StateStore;
beforeEach(async () => {
  store = await openStateStore('memory://', logger);
});
afterEach(() => store.close());

const key = 'fu:1:strategic:2026-03-05';
const writes: PlannedWrite[] = [
  { kind: 'update_org_flags', key: 'fl:1:abc', orgId: 1, customFields: { flagkey: 7 }, changes: [{ flag: 'Health score', from: 80, to: 7 }] },
  {
    kind: 'create_activity', key, purpose: 'follow_up', orgId: 1, ruleId: 'strategic', reason: 'Overdue',
    activity: { subject: 'FUP', type: 'meeting', owner_id: 11, org_id: 1, participants: [{ person_id: 5, primary: true }], due_date: '2026-03-13', done: false, note: `<p>${provenanceMarker(key)}</p>` },
  },
];
const plan: Plan = { companyId: 'acme', runId: 'r1', now: NOW.toISOString(), writes, skipped: [], warnings: [] };

describe('mirrorOwnWrites', () => {
  it('flag values written and follow-ups created are in the mirror at once, the follow-up untouched', async () => {
    const pd = new FakePipedrive();
    const apply = await applyPlan({ plan, client: pd, companyState: new MemoryState(), logger, maxWrites: 100 });
    expect(apply.counts).toMatchObject({ created: 1, updated: 1 });
    const state = store.company('acme');
    const snap = snapshot({ orgs: [org({ id: 1, customFields: { flagkey: 80, tier: 4 } })] });
    const done = await mirrorOwnWrites(state, { plan, apply, snapshot: snap, now: NOW });
    expect(done).toEqual({ flags: 1, created: 1, deleted: 0 });
    expect((await state.mirror.loadEntity('organization')).get(1)!.customFields).toMatchObject({ flagkey: 7, tier: 4 });
    const created = [...(await state.mirror.loadEntity('activity')).values()];
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ cadenceKey: key, orgId: 1, personId: 5, done: false, dueDate: '2026-03-13' });
    expect(isUntouched(created[0]!)).toBe(true);
  });

  it('a deleted follow-up leaves the mirror; a dry run changes nothing', async () => {
    const state = store.company('acme');
    await state.mirror.writePage('activity', { upserts: [activity({ id: 9, orgId: 1 })] });
    const del: Plan = { ...plan, writes: [{ kind: 'delete_activity', key: 'clr:9', orgId: 1, activityId: 9, reason: 'cleared' }] };
    const base = { plan: del, snapshot: snapshot({}), now: NOW };
    const dry = await mirrorOwnWrites(state, { ...base, apply: { dryRun: true, results: [{ key: 'clr:9', kind: 'delete_activity', orgId: 1, outcome: 'planned' }] } as never });
    expect(dry).toEqual({ flags: 0, created: 0, deleted: 0 });
    expect((await state.mirror.loadEntity('activity')).has(9)).toBe(true);
    await mirrorOwnWrites(state, { ...base, apply: { dryRun: false, results: [{ key: 'clr:9', kind: 'delete_activity', orgId: 1, outcome: 'deleted', pipedriveId: 9 }] } as never });
    expect((await state.mirror.loadEntity('activity')).has(9)).toBe(false);
  });
});
