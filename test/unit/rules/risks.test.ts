import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import type { Activity, Deal, Person } from '../../../src/domain/entities.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import { F, ROLE, STRENGTH, TIER_OPT, addDays, clock, deal, org, person, policy, snapshot, touch, wonDeal } from './fixtures.js';
import type { RiskKind } from '../../../src/domain/vocabulary.js';

const TODAY = '2026-03-10'; // Tuesday

interface Case {
  tier?: 1 | 2 | 3 | 4;
  persons?: Person[];
  deals?: Deal[];
  activities?: Activity[];
  contractEnd?: unknown;
  p?: Policy;
}

function risksOf(c: Case) {
  const o = org({ id: 1, customFields: { [F.tier]: TIER_OPT[`Tier ${c.tier ?? 1}`], ...(c.contractEnd === undefined ? {} : { [F.contractEnd]: c.contractEnd }) } });
  const r = assessCompany(c.p ?? policy(), snapshot({ orgs: [o], persons: c.persons ?? [], deals: c.deals ?? [], activities: c.activities ?? [] }), clock(TODAY));
  return r.organizations[0]!.risks;
}
const kinds = (c: Case) => risksOf(c).map((r) => r.kind);

const dm = (id: number) => person({ id, orgId: 1, customFields: { [F.role]: ROLE['Decision maker'] } });
const inf = (id: number, strength: number = STRENGTH.Strong) => person({ id, orgId: 1, customFields: { [F.role]: ROLE.Influencer, [F.strength]: strength } });
const with_ = (id: number, date: string, personIds: number[], over: Partial<Activity> = {}) =>
  touch(id, 1, date, { personId: personIds[0] ?? null, participantPersonIds: personIds, ...over });

describe('key-person dependency (Tier 3+, keyPersonDays = 90)', () => {
  it.each<[string, Case, boolean]>([
    ['Tier 3, every touchpoint reached the same person', { tier: 3, persons: [dm(10), inf(11)], activities: [with_(1, '2026-03-01', [10]), with_(2, '2026-02-01', [10])] }, true],
    ['Tier 3, two persons reached', { tier: 3, persons: [dm(10), inf(11)], activities: [with_(1, '2026-03-01', [10]), with_(2, '2026-02-01', [11])] }, false],
    ['Tier 3, the second person 91 days ago', { tier: 3, persons: [dm(10), inf(11)], activities: [with_(1, '2026-03-01', [10]), with_(2, addDays(TODAY, -91), [11])] }, true],
    ['Tier 3, the second person exactly 90 days ago', { tier: 3, persons: [dm(10), inf(11)], activities: [with_(1, '2026-03-01', [10]), with_(2, addDays(TODAY, -90), [11])] }, false],
    ['Tier 3, touchpoints without persons', { tier: 3, persons: [dm(10)], activities: [with_(1, '2026-03-01', [])] }, false],
    ['Tier 2, one person', { tier: 2, persons: [dm(10)], activities: [with_(1, '2026-03-01', [10])] }, false],
  ])('%s → %s', (_name, c, flagged) => {
    expect(kinds(c).includes('key_person_dependency')).toBe(flagged);
  });

  it('names the person in the evidence', () => {
    const r = risksOf({ tier: 4, persons: [dm(10)], activities: [with_(1, '2026-03-01', [10])] }).find((x) => x.kind === 'key_person_dependency')!;
    expect(r.evidence).toEqual({ personIds: [10], touchpoints: 1 });
  });
});

describe('no decision-maker contact (Tier 3+, decisionMakerDays = 90)', () => {
  it.each<[string, Case, boolean]>([
    ['decision maker touched last week', { tier: 3, persons: [dm(10)], activities: [with_(1, '2026-03-03', [10])] }, false],
    ['decision maker touched exactly 90 days ago', { tier: 3, persons: [dm(10)], activities: [with_(1, addDays(TODAY, -90), [10])] }, false],
    ['decision maker last touched 91 days ago', { tier: 3, persons: [dm(10), inf(11)], activities: [with_(1, addDays(TODAY, -91), [10]), with_(2, '2026-03-03', [11])] }, true],
    ['only the influencer is touched', { tier: 4, persons: [dm(10), inf(11)], activities: [with_(1, '2026-03-03', [11])] }, true],
    ['no decision maker mapped at all', { tier: 3, persons: [inf(11)], activities: [with_(1, '2026-03-03', [11])] }, true],
    ['Tier 2 is not checked', { tier: 2, persons: [dm(10)] }, false],
  ])('%s → %s', (_name, c, flagged) => {
    expect(kinds(c).includes('no_decision_maker_contact')).toBe(flagged);
  });

  it('reports when the decision maker was last reached', () => {
    const r = risksOf({ tier: 3, persons: [dm(10)], activities: [with_(1, '2025-10-01', [10])] }).find((x) => x.kind === 'no_decision_maker_contact')!;
    expect(r.evidence).toEqual({ personIds: [10], lastContact: '2025-10-01' });
  });
});

describe('outreach collision (collisionUsers = 3 in one ISO week)', () => {
  const byUsers = (dates: [string, number][]) => dates.map(([d, u], i) => touch(i + 1, 1, d, { ownerId: u }));
  it.each<[string, Activity[], boolean]>([
    ['three users in the same week', byUsers([['2026-03-02', 5], ['2026-03-04', 6], ['2026-03-08', 7]]), true],
    ['three users across a week boundary (Sunday / Monday)', byUsers([['2026-03-02', 5], ['2026-03-04', 6], ['2026-03-09', 7]]), false],
    ['one user three times', byUsers([['2026-03-02', 5], ['2026-03-03', 5], ['2026-03-04', 5]]), false],
    ['three users in a week before the engagement window', byUsers([['2026-01-05', 5], ['2026-01-06', 6], ['2026-01-07', 7]]), false],
  ])('%s → %s', (_name, activities, flagged) => {
    expect(kinds({ activities }).includes('outreach_collision')).toBe(flagged);
  });

  it('names the week and the users; collisionUsers comes from the policy', () => {
    const activities = byUsers([['2026-03-09', 6], ['2026-03-10', 5]]);
    expect(kinds({ activities })).not.toContain('outreach_collision');
    const p = policy((pp) => {
      pp.risks.collisionUsers = 2;
    });
    const r = risksOf({ activities, p }).find((x) => x.kind === 'outreach_collision')!;
    expect(r.evidence).toEqual({ week: '2026-W11', userIds: [5, 6], weeks: 1 });
  });
});

describe('falling engagement', () => {
  it('is a risk when the trend falls', () => {
    const before = [0, 1, 2, 3].map((i) => touch(i + 1, 1, addDays('2026-02-10', -i * 7)));
    expect(kinds({ activities: before })).toContain('falling_engagement');
    expect(kinds({ activities: [...before, ...[0, 1, 2].map((i) => touch(i + 10, 1, addDays(TODAY, -i * 7)))] })).not.toContain('falling_engagement');
  });
});

describe('renewal within renewalWindowDays (180) of the contract end date', () => {
  it.each<[string, unknown, boolean]>([
    ['ends in 180 days', addDays(TODAY, 180), true],
    ['ends in 181 days', addDays(TODAY, 181), false],
    ['ends today', TODAY, true],
    ['ended yesterday', addDays(TODAY, -1), false],
    ['not a real date', '2026-06-31', false],
    ['no date', null, false],
  ])('contract %s → %s', (_name, contractEnd, flagged) => {
    expect(kinds({ contractEnd }).includes('renewal_due')).toBe(flagged);
  });

  it('contractEndDate is reported on the assessment', () => {
    const o = org({ id: 1, customFields: { [F.contractEnd]: '2026-06-30' } });
    expect(assessCompany(policy(), snapshot({ orgs: [o] }), clock(TODAY)).organizations[0]!.contractEndDate).toBe('2026-06-30');
  });

  it('risks.renewalWindowDays comes from the policy', () => {
    const p = policy((pp) => {
      pp.risks.renewalWindowDays = 30;
    });
    expect(kinds({ contractEnd: addDays(TODAY, 60), p })).not.toContain('renewal_due');
  });
});

describe('stakeholders at risk', () => {
  it('lists the persons whose relationship strength is At risk', () => {
    const r = risksOf({ persons: [inf(10, STRENGTH['At risk']), inf(11, STRENGTH.Weak), inf(12, STRENGTH['At risk'])] }).find((x) => x.kind === 'stakeholder_at_risk');
    expect(r?.evidence).toEqual({ personIds: [10, 12] });
    expect(kinds({ persons: [inf(11, STRENGTH.Weak)] })).not.toContain('stakeholder_at_risk');
  });
});

describe('shrinking deals and recent losses', () => {
  const won = (id: number, date: string, value: number, currency = 'BRL') => wonDeal({ id, orgId: 1, won: date, value, currency });
  it.each<[string, Deal[], RiskKind, boolean]>([
    ['latest won deal at 60 % of the previous', [won(1, '2025-05-01', 100_000), won(2, '2026-02-01', 60_000)], 'shrinking_deals', true],
    ['latest won deal at 70 % (the ratio itself is not shrinking)', [won(1, '2025-05-01', 100_000), won(2, '2026-02-01', 70_000)], 'shrinking_deals', false],
    ['larger latest deal', [won(1, '2025-05-01', 100_000), won(2, '2026-02-01', 150_000)], 'shrinking_deals', false],
    ['converted: USD 10,000 (53,000 BRL) after 100,000 BRL', [won(1, '2025-05-01', 100_000), won(2, '2026-02-01', 10_000, 'USD')], 'shrinking_deals', true],
    ['latest won more than a year ago', [won(1, '2023-05-01', 100_000), won(2, '2025-03-01', 10_000)], 'shrinking_deals', false],
    ['an unknown currency is not compared', [won(1, '2025-05-01', 100_000), won(2, '2026-02-01', 10, 'JPY')], 'shrinking_deals', false],
    ['lost 180 days ago', [deal({ id: 3, orgId: 1, status: 'lost', lostTime: `${addDays(TODAY, -180)}T15:00:00Z` })], 'recent_loss', true],
    ['lost 181 days ago', [deal({ id: 3, orgId: 1, status: 'lost', lostTime: `${addDays(TODAY, -181)}T15:00:00Z` })], 'recent_loss', false],
    ['a deleted lost deal', [deal({ id: 3, orgId: 1, status: 'lost', isDeleted: true, lostTime: '2026-03-01T15:00:00Z' })], 'recent_loss', false],
  ])('%s → %s %s', (_name, deals, kind, flagged) => {
    expect(kinds({ deals }).includes(kind)).toBe(flagged);
  });

  it('shrinkingRatio and lostDealDays come from the policy', () => {
    const p = policy((pp) => {
      pp.risks.shrinkingRatio = 0.5;
      pp.risks.lostDealDays = 30;
    });
    const deals = [won(1, '2025-05-01', 100_000), won(2, '2026-02-01', 60_000), deal({ id: 3, orgId: 1, status: 'lost', lostTime: '2026-01-01T15:00:00Z' })];
    expect(kinds({ deals })).toEqual(expect.arrayContaining(['shrinking_deals', 'recent_loss']));
    expect(kinds({ deals, p })).toEqual([]);
  });
});
