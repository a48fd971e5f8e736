/**
 * The planner's part of docs/policy.md §10.5 (src/plan/handover.ts through buildPlan): one handover activity
 * for the new owner with the client's history, created once; one account-plan review reminder per review
 * window for Tier 3+ clients.
 */
import { describe, expect, it } from 'vitest';
import type { Activity } from '../../../src/domain/entities.js';
import { extractCadenceKey } from '../../../src/domain/provenance.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import type { CreateActivity, Plan } from '../../../src/plan/types.js';
import { Plan as PlanSchema } from '../../../src/plan/types.js';
import type { HandoverFacts, OrgAssessment } from '../../../src/rules/types.js';
import { ESCALATION, FALLBACK, INACTIVE, NOW, OWNER, activity, assessment, cadence, loadPolicy, matchingFlags, org, rulesResult, snapshot } from './fixtures.js';

const HANDOVER: HandoverFacts = {
  fromOwnerId: INACTIVE,
  toOwnerId: OWNER,
  day: '2026-03-11',
  since: '2026-03-10',
  touchpoints: [{ date: '2026-03-01', subject: 'Reunião de status <urgente>', ownerId: INACTIVE }],
  openDeals: [{ title: 'Fase 2', value: 120_000, currency: 'BRL' }],
  stakeholders: [{ name: 'Roberta Decisora', role: 'Decision maker' }, { name: 'Sem papel', role: '' }],
};

function plan(orgs: OrgAssessment[], activities: Activity[] = [], locale: 'pt-BR' | 'en' = 'pt-BR'): Plan {
  const policy = loadPolicy(locale);
  const out = buildPlan({
    policy,
    result: rulesResult(orgs),
    snapshot: snapshot(policy, { orgs: orgs.map((a) => org(a.orgId, matchingFlags(policy, a))), activities }),
    runId: 'run-1',
    companyId: 'acme',
    now: NOW,
    escalationUserId: ESCALATION,
    fallbackUserId: FALLBACK,
  });
  PlanSchema.parse(out);
  return out;
}
const creates = (p: Plan, purpose: CreateActivity['purpose']) => p.writes.filter((w): w is CreateActivity => w.kind === 'create_activity' && w.purpose === purpose);

describe('handover activity', () => {
  it('is one activity for the new owner, keyed by the handover, with the client history in its note', () => {
    const p = plan([assessment({ orgId: 1, handover: HANDOVER, risks: [{ kind: 'detractor', detail: 'x', evidence: {}, params: { score: 4, npsDate: '2026-02-01', max: 6 } }] })], [], 'en');
    const [w, ...more] = creates(p, 'handover');
    expect(more).toEqual([]);
    expect(w!.key).toBe('ho:1:2026-03-10:11');
    expect(w!.activity).toMatchObject({ owner_id: OWNER, type: 'task', org_id: 1, subject: 'Account handover — Org 1: client taken over from User 13' });
    const note = w!.activity.note!;
    expect(note).toContain('Org 1 moved from User 13 to User 11 (seen on');
    expect(note).toContain('<li>Mar 1, 2026 — Reunião de status &lt;urgente&gt; (User 13)</li>');
    expect(note).toContain('<li>Fase 2 — 120,000 BRL</li>');
    expect(note).toContain('Detractor: last satisfaction score 4');
    expect(note).toContain('<li>Roberta Decisora — Decision maker</li><li>Sem papel</li>');
    expect(extractCadenceKey(note)).toBe('ho:1:2026-03-10:11');
  });

  it('is not planned again once the mirror holds it (open, done or deleted)', () => {
    for (const state of [{}, { done: true }, { isDeleted: true }]) {
      const made = activity({ id: 700, orgId: 1, type: 'task', cadenceKey: 'ho:1:2026-03-10:11', ...state });
      const p = plan([assessment({ orgId: 1, handover: HANDOVER })], [made]);
      expect(creates(p, 'handover')).toEqual([]);
      expect(p.skipped.find((s) => s.key === 'ho:1:2026-03-10:11')?.code).toBe('already_created');
    }
  });

  it('without a handover nothing is planned', () => {
    expect(creates(plan([assessment({ orgId: 1 })]), 'handover')).toEqual([]);
  });
});

describe('account-plan review reminder', () => {
  it('is planned for a Tier 3 client whose review is due, once per review window', () => {
    const due = assessment({ orgId: 1, accountPlanDue: { reviewedDate: '2025-11-01' } });
    const [w] = creates(plan([due]), 'account_plan');
    expect(w!.key).toBe('ap:1:2025-11-01');
    expect(w!.activity).toMatchObject({ owner_id: OWNER, type: 'task', subject: 'Revisar o plano de conta — Org 1 (Tier 3)' });
    expect(w!.activity.note).toContain('revisado pela última vez em 1 de nov. de 2025');
    const never = creates(plan([assessment({ orgId: 1, accountPlanDue: { reviewedDate: null } })]), 'account_plan');
    expect(never.map((x) => x.key)).toEqual(['ap:1:never']);
    const again = plan([due], [activity({ id: 9, type: 'task', cadenceKey: 'ap:1:2025-11-01', done: true })]);
    expect(creates(again, 'account_plan')).toEqual([]);
  });

  it('rides along in the client\'s reminder of the night instead of an activity of its own (one reminder per client per night)', () => {
    const both = assessment({ orgId: 1, cadence: [cadence({ ruleId: 'strategic' })], accountPlanDue: { reviewedDate: '2025-11-01' } });
    const p = plan([both]);
    expect(creates(p, 'account_plan')).toEqual([]);
    expect(p.skipped).toContainEqual(expect.objectContaining({ orgId: 1, key: 'ap:1:2025-11-01', code: 'already_scheduled' }));
    const [fu] = creates(p, 'follow_up');
    expect(fu!.activity.note).toContain('Revisão do plano de conta: O plano de conta de Org 1 foi revisado pela última vez em 1 de nov. de 2025');
    // An open reminder of an earlier night holds it too; once none is open, the review gets its own activity.
    const open = plan([assessment({ orgId: 1, accountPlanDue: { reviewedDate: '2025-11-01' } })], [activity({ id: 5, orgId: 1, cadenceKey: 'fu:1:strategic:2026-03-01' })]);
    expect(creates(open, 'account_plan')).toEqual([]);
  });

  it('is not planned below accountCare.accountPlan.reminderMinTier', () => {
    const tier2 = assessment({ orgId: 1, accountPlanDue: { reviewedDate: null } });
    tier2.tier = { ...tier2.tier, level: 2 };
    expect(creates(plan([tier2]), 'account_plan')).toEqual([]);
  });
});
