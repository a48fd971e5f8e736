/**
 * §10.4 end to end through the pure core: the rules find three gaps on one strategic client, the planner
 * writes one activity that carries them, and once that activity is done the next night all three are clear.
 */
import { describe, expect, it } from 'vitest';
import type { MirrorSnapshot } from '../../../src/domain/entities.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import type { CreateActivity, Plan } from '../../../src/plan/types.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { F, TIER_OPT, activity, clock, org, policy, snapshot, touch } from '../rules/fixtures.js';

const shipped = policy();
const types = ['call', 'meeting', 'email', 'lunch', 'task'].map((k, i) => ({ id: i + 1, name: k, keyString: k, active: true, isCustom: false }));

function night(s: MirrorSnapshot, date: string): { plan: Plan; statuses: Record<string, string> } {
  const result = assessCompany(shipped, s, clock(date));
  const plan = buildPlan({ policy: shipped, result, snapshot: s, runId: `run-${date}`, companyId: 'test', now: `${date}T15:00:00Z`, escalationUserId: 9, fallbackUserId: 9 });
  const statuses = Object.fromEntries(result.organizations[0]!.cadence.filter((c) => c.applies).map((c) => [c.ruleId, c.status]));
  return { plan, statuses };
}

const creates = (p: Plan): CreateActivity[] => p.writes.filter((w): w is CreateActivity => w.kind === 'create_activity');

describe('one reminder per client per night (§10.4)', () => {
  // A Tier 3 client of long standing: an e-mail last week keeps maintenance on track; no FUP, QBR or planning on record.
  const client = org({ id: 1, name: 'Acme', addTime: '2019-01-01T12:00:00Z', customFields: { [F.tier]: TIER_OPT['Tier 3'] } });
  const email = touch(10, 1, '2026-03-03', { type: 'email', subject: 'Proposta enviada' });

  it('three gaps → one activity; marked done → the next night all three are clear and nothing is created', () => {
    const first = night({ ...snapshot({ orgs: [client], activities: [email] }), activityTypes: types }, '2026-03-10');
    expect(first.statuses).toMatchObject({ strategic: 'never', qbr: 'never', 'annual-planning': 'never', maintenance: 'on_track' });
    expect(creates(first.plan)).toHaveLength(1);
    const [reminder] = creates(first.plan);
    expect(reminder!.key).toBe('fu:1:annual-planning.qbr.strategic:never');

    // The executive held the meeting on the day it was due, renamed it, recorded the checklist and marked it
    // done: its key, not its subject, makes it count for every rule it carried.
    const held = activity({
      id: 500,
      orgId: 1,
      type: reminder!.activity.type,
      subject: 'Reunião com a diretoria da Acme',
      dueDate: '2026-03-11',
      markedAsDoneTime: '2026-03-11T20:00:00Z',
      addTime: '2026-03-10T15:00:00Z',
      updateTime: '2026-03-11T20:00:00Z',
      cadenceKey: reminder!.key,
    });
    const second = night({ ...snapshot({ orgs: [client], activities: [email, held] }), activityTypes: types }, '2026-03-12');
    expect(second.statuses).toMatchObject({ strategic: 'on_track', qbr: 'on_track', 'annual-planning': 'on_track', maintenance: 'on_track' });
    expect(creates(second.plan)).toEqual([]);
    expect(second.plan.writes.filter((w) => w.kind === 'delete_activity')).toEqual([]);
  });

  it('while it is open, every rule it carries counts as scheduled; when all its gaps clear it is deleted, not before', () => {
    const first = night({ ...snapshot({ orgs: [client], activities: [email] }), activityTypes: types }, '2026-03-10');
    const key = creates(first.plan)[0]!.key;
    const open = activity({ id: 500, orgId: 1, type: 'meeting', done: false, dueDate: '2026-04-07', addTime: '2026-03-10T15:00:00Z', updateTime: '2026-03-10T15:00:00Z', cadenceKey: key });
    const next = night({ ...snapshot({ orgs: [client], activities: [email, open] }), activityTypes: types }, '2026-03-11');
    expect(creates(next.plan)).toEqual([]);
    expect(next.plan.writes.filter((w) => w.kind === 'delete_activity')).toEqual([]);
    // A QBR and a FUP held elsewhere close two of its three gaps: it stays (planning is still open).
    const qbr = touch(20, 1, '2026-03-11', { type: 'meeting', subject: 'QBR 1º trimestre' });
    const fup = touch(21, 1, '2026-03-11', { type: 'meeting', subject: 'FUP mensal' });
    const partly = night({ ...snapshot({ orgs: [client], activities: [email, open, qbr, fup] }), activityTypes: types }, '2026-03-12');
    expect(partly.plan.writes.filter((w) => w.kind === 'delete_activity')).toEqual([]);
    // The planning held too: every gap it carried is closed, so the untouched reminder is deleted.
    const planning = touch(22, 1, '2026-03-12', { type: 'meeting', subject: 'Planejamento estratégico anual 2026' });
    const all = night({ ...snapshot({ orgs: [client], activities: [email, open, qbr, fup, planning] }), activityTypes: types }, '2026-03-13');
    expect(all.plan.writes.filter((w) => w.kind === 'delete_activity').map((w) => w.orgId)).toEqual([1]);
  });
});
