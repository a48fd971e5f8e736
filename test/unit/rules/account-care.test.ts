/**
 * docs/policy.md §10.5 for Tier 3+ clients: satisfaction (NPS score and date), the executive sponsor and the
 * account-plan review, with their boundaries, their place in the health score and what happens when the
 * account lacks the field. Fixed `now`: 2026-03-10.
 */
import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { F, FIELDS, TIER_OPT, addDays, clock, org, person, policy, ROLE, snapshot } from './fixtures.js';

const TODAY = '2026-03-10';
const dm = person({ id: 10, orgId: 1, customFields: { [F.role]: ROLE['Decision maker'] } });

function assess(level: 1 | 2 | 3 | 4, customFields: Record<string, unknown>, fields = FIELDS) {
  const o = org({ id: 1, customFields: { [F.tier]: TIER_OPT[`Tier ${level}`], [F.contractEnd]: '2027-06-30', ...customFields } });
  return assessCompany(policy(), snapshot({ orgs: [o], persons: [dm], fields }), clock(TODAY)).organizations[0]!;
}
const problems = (a: ReturnType<typeof assess>) => a.findings.map((f) => f.textKey ?? f.problem);
const kinds = (a: ReturnType<typeof assess>) => a.risks.map((r) => r.kind);

describe('satisfaction: a Tier 3+ client needs a score dated within 180 days', () => {
  it.each([
    ['dated 180 days ago', { [F.npsDate]: addDays(TODAY, -180) }, []],
    ['dated 181 days ago', { [F.npsDate]: addDays(TODAY, -181) }, ['stale_nps']],
    ['no score', { [F.nps]: null }, ['stale_nps_never']],
    ['no date', { [F.npsDate]: null }, ['stale_nps_never']],
    ['a score outside 0–10', { [F.nps]: 42 }, ['stale_nps_never']],
  ])('%s → %j', (_what, cf, expected) => {
    expect(problems(assess(3, cf))).toEqual(expected);
  });

  it('is not asked of a Tier 2 client', () => {
    expect(problems(assess(2, { [F.nps]: null }))).toEqual([]);
  });

  it('says when the last score was, by the field name the admin sees', () => {
    const f = assess(4, { [F.npsDate]: '2025-06-01' }).findings[0]!;
    expect(f).toMatchObject({ field: 'NPS', problem: 'stale_nps', entity: 'organization', entityId: 1, params: { field: 'NPS', npsDate: '2025-06-01', days: 180, tier: 4 } });
  });
});

describe('detractor: a latest score of 6 or less is a risk', () => {
  it.each([
    [6, true],
    [6.5, false],
    [7, false],
    [0, true],
  ])('score %d → detractor %s', (score, risk) => {
    expect(kinds(assess(3, { [F.nps]: score })).includes('detractor')).toBe(risk);
  });

  it('is a risk of any tier, and both measures count in the health score', () => {
    expect(kinds(assess(1, { [F.nps]: 3 }))).toEqual(['detractor']);
    const a = assess(3, { [F.nps]: 3, [F.npsDate]: '2025-01-01' });
    expect(a.risks.find((r) => r.kind === 'detractor')!.params).toEqual({ score: 3, npsDate: '2025-01-01', max: 6 });
    expect(a.health.parts.filter((p) => p.kind === 'risk' && p.params.risk === 'detractor')).toHaveLength(1);
    expect(a.health.parts.find((p) => p.kind === 'data_quality')!.params).toEqual({ count: 1 });
  });

  it('follows accountCare.satisfaction.detractorMax', () => {
    const o = org({ id: 1, customFields: { [F.nps]: 7 } });
    const p = policy((pp) => {
      pp.accountCare.satisfaction.detractorMax = 7;
    });
    expect(assessCompany(p, snapshot({ orgs: [o] }), clock(TODAY)).organizations[0]!.risks.map((r) => r.kind)).toEqual(['detractor']);
  });
});

describe('executive sponsor: required for Tier 3+', () => {
  it.each([
    ['empty', null, ['no_executive_sponsor']],
    ['a deactivated user', 8, ['executive_sponsor_inactive']],
    ['not a user of the company', 777, ['executive_sponsor_inactive']],
    ['an active user', 6, []],
  ])('%s → %j', (_what, sponsor, expected) => {
    expect(problems(assess(3, { [F.sponsor]: sponsor }))).toEqual(expected);
  });

  it('is not asked of a Tier 2 client', () => {
    expect(problems(assess(2, { [F.sponsor]: null }))).toEqual([]);
  });
});

describe('account plan: reviewed within 90 days for Tier 3+', () => {
  it.each([
    ['reviewed 90 days ago', addDays(TODAY, -90), [], undefined],
    ['reviewed 91 days ago', addDays(TODAY, -91), ['stale_account_plan'], { reviewedDate: addDays(TODAY, -91) }],
    ['never reviewed', null, ['stale_account_plan_never'], { reviewedDate: null }],
  ])('%s → %j, review due %j', (_what, reviewed, expected, due) => {
    const a = assess(3, { [F.planReviewed]: reviewed });
    expect(problems(a)).toEqual(expected);
    expect(a.accountPlanDue).toEqual(due);
  });

  it('is not asked of a Tier 2 client', () => {
    const a = assess(2, { [F.planReviewed]: null });
    expect(problems(a)).toEqual([]);
    expect(a.accountPlanDue).toBeUndefined();
  });
});

describe('a field the account lacks', () => {
  it('is listed as unresolved (doctor fails on it) and raises no finding', () => {
    const fields = FIELDS.filter((f) => ![F.nps, F.sponsor, F.planReviewed].includes(f.key as never));
    const o = org({ id: 1, customFields: { [F.tier]: TIER_OPT['Tier 3'], [F.contractEnd]: '2027-06-30', [F.nps]: null, [F.sponsor]: null, [F.planReviewed]: null } });
    const r = assessCompany(policy(), snapshot({ orgs: [o], persons: [dm], fields }), clock(TODAY));
    expect(r.organizations[0]!.findings).toEqual([]);
    expect(r.unresolvedFields).toEqual([
      { entity: 'organization', name: 'NPS' },
      { entity: 'organization', name: 'Executive sponsor' },
      { entity: 'organization', name: 'Account plan reviewed' },
    ]);
  });
});
