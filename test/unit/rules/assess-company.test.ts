import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { healthScore } from '../../../src/rules/health.js';
import { resolveUserRef } from '../../../src/rules/resolve-user-ref.js';
import { OrgAssessment, RulesResult } from '../../../src/rules/types.js';
import type { CadenceResult, Engagement, Risk } from '../../../src/rules/types.js';
import { F, FALLBACK, FIELDS, ROLE, STRENGTH, TIER_OPT, USERS, activity, clock, deal, org, person, policy, snapshot, touch, wonDeal } from './fixtures.js';

const TODAY = '2026-03-10';

describe('resolveUserRef (owners.fallbackUser / escalationUser)', () => {
  const users = new Map(USERS.map((u) => [u.id, u]));
  it.each([
    ['an e-mail', 'head.accounts@exemplo.com.br', FALLBACK],
    ['an e-mail in other case, with spaces', ' Head.Accounts@Exemplo.com.BR ', FALLBACK],
    ['a user id', 6, 6],
    ['an unknown e-mail', 'ghost@exemplo.com.br', null],
    ['an unknown id', 4242, null],
    ['a deactivated user (returned; the caller decides)', 8, 8],
  ])('%s', (_name, ref, id) => {
    expect(resolveUserRef(ref, users)?.id ?? null).toBe(id);
  });
});

const cadence = (ruleId: string, status: CadenceResult['status'], applies = true): CadenceResult => ({
  ruleId,
  category: 'strategic',
  cadenceDays: 30,
  onGap: 'create',
  applies,
  lastTouchpoint: null,
  nextDueDate: null,
  gapDays: status === 'overdue' ? 5 : null,
  daysSinceLast: null,
  status,
  openScheduled: null,
  regularity: null,
});
const flat: Engagement = { weeks: [], last4: 2, previous4: 2, trend: 'stable', breadth: 1 };
const risk = (kind: Risk['kind']): Risk => ({ kind, detail: '', evidence: {}, params: {} });

describe('health score (policy.health)', () => {
  const h = policy().health;
  it.each([
    ['nothing wrong', [cadence('a', 'on_track')], flat, [], 0, 100],
    ['one overdue rule', [cadence('a', 'overdue')], flat, [], 0, 85],
    ['one never-touched rule', [cadence('a', 'never')], flat, [], 0, 80],
    ['one rule due soon', [cadence('a', 'due_soon')], flat, [], 0, 97],
    ['a rule that does not apply costs nothing', [cadence('a', 'never', false)], flat, [], 0, 100],
    ['falling engagement costs its own penalty, not also a risk penalty', [], { ...flat, trend: 'falling' as const }, [risk('falling_engagement')], 0, 90],
    ['two risks', [], flat, [risk('renewal_due'), risk('recent_loss')], 0, 84],
    ['three findings', [], flat, [], 3, 94],
    ['data-quality penalty is capped at 20', [], flat, [], 50, 80],
    ['floored at 0', ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => cadence(id, 'never')), flat, [], 50, 0],
  ])('%s → %i', (_name, c, e, r, findings, score) => {
    const out = healthScore(c, e, r, findings, h);
    expect(out.score).toBe(score);
    if (score > 0) expect(100 - out.parts.reduce((sum, p) => sum + p.points, 0)).toBe(score);
  });

  it('lists each part with its reason, and its kind and params for the policy templates', () => {
    expect(healthScore([cadence('qbr', 'overdue'), cadence('strategic', 'never'), cadence('maintenance', 'due_soon')], { ...flat, trend: 'falling' }, [risk('renewal_due')], 1, h).parts).toEqual([
      { reason: 'overdue: qbr', points: 15, kind: 'overdue', params: { rule: 'qbr' } },
      { reason: 'never touched: strategic', points: 20, kind: 'never', params: { rule: 'strategic' } },
      { reason: 'due soon: maintenance', points: 3, kind: 'due_soon', params: { rule: 'maintenance' } },
      { reason: 'falling engagement', points: 10, kind: 'falling_engagement', params: {} },
      { reason: 'risk: renewal_due', points: 8, kind: 'risk', params: { risk: 'renewal_due' } },
      { reason: 'data quality: 1 finding(s)', points: 2, kind: 'data_quality', params: { count: 1 } },
    ]);
  });

  it('a full pass shares equal parts between clients', () => {
    const s = snapshot({ orgs: [org({ id: 1 }), org({ id: 2 })] });
    const [a, b] = assessCompany(policy(), s, clock('2026-03-10')).organizations;
    expect(a!.health.parts.length).toBeGreaterThan(0);
    expect(b!.health.parts[0]).toBe(a!.health.parts[0]);
  });

  it('uses the policy weights', () => {
    expect(healthScore([cadence('a', 'overdue')], flat, [], 0, { ...h, perOverdueRule: 40 }).score).toBe(60);
  });
});

describe('assessCompany', () => {
  const s = snapshot({
    orgs: [
      org({ id: 2, customFields: { [F.tier]: TIER_OPT['Tier 3'], [F.contractEnd]: '2026-08-01' } }),
      org({ id: 1 }),
      org({ id: 3, isDeleted: true }),
    ],
    persons: [
      person({ id: 20, orgId: 2, customFields: { [F.role]: ROLE.Champion } }),
      person({ id: 21, orgId: 2, customFields: { [F.role]: ROLE['Decision maker'], [F.strength]: STRENGTH['At risk'] } }),
      person({ id: 22, orgId: 2, customFields: { [F.role]: ROLE['Decision maker'] } }),
    ],
    deals: [
      deal({ id: 200, orgId: 2, value: 10_000 }),
      deal({ id: 201, orgId: 2, value: 5_000, currency: 'USD' }), // 26,500 BRL
      wonDeal({ id: 202, orgId: 2, won: '2026-01-05', value: 900_000 }),
    ],
    activities: [touch(1, 2, '2026-03-09', { type: 'meeting', subject: 'FUP', personId: 22, participantPersonIds: [22] }), touch(2, 2, '2026-02-01', { personId: 21, participantPersonIds: [21] })],
  });
  const r = assessCompany(policy(), s, clock('2026-03-10T15:00:00Z'));

  it('satisfies the RulesResult contract (zod)', () => {
    expect(() => RulesResult.parse(r)).not.toThrow();
    for (const o of r.organizations) expect(() => OrgAssessment.parse(o)).not.toThrow();
  });

  it('reports the instant, the firm date and zone; skips deleted organizations; orders by id', () => {
    expect({ now: r.now, today: r.today, timeZone: r.timeZone }).toEqual({ now: '2026-03-10T15:00:00.000Z', today: TODAY, timeZone: 'America/Sao_Paulo' });
    expect(r.organizations.map((o) => o.orgId)).toEqual([1, 2]);
  });

  it('"today" is the firm’s date: 01:00 UTC is still yesterday in São Paulo', () => {
    expect(assessCompany(policy(), s, clock('2026-03-10T01:00:00Z')).today).toBe('2026-03-09');
  });

  it('main contact: the most recently touched decision maker', () => {
    expect(r.organizations[1]!.mainContactPersonId).toBe(22);
  });

  it.each([
    ['a champion when no decision maker', [person({ id: 30, orgId: 1 }), person({ id: 31, orgId: 1, customFields: { [F.role]: ROLE.Champion } })], [], 31],
    ['the most recently touched person otherwise', [person({ id: 30, orgId: 1 }), person({ id: 31, orgId: 1 })], [touch(9, 1, '2026-03-01', { participantPersonIds: [31] }), touch(8, 1, '2026-02-01', { participantPersonIds: [30] })], 31],
    ['any person (lowest id) when nobody was touched', [person({ id: 31, orgId: 1 }), person({ id: 30, orgId: 1 })], [], 30],
    ['nobody without persons', [], [], null],
  ])('main contact: %s', (_name, persons, activities, id) => {
    const one = assessCompany(policy(), snapshot({ orgs: [org({ id: 1 })], persons, activities }), clock(TODAY));
    expect(one.organizations[0]!.mainContactPersonId).toBe(id);
  });

  it('relevant open deal: the highest value in the firm currency', () => {
    expect(r.organizations[1]!.relevantOpenDealId).toBe(201);
    expect(r.organizations[0]!.relevantOpenDealId).toBeNull();
  });

  it('an archived deal is never the relevant open deal, does not make the client active, and is not checked for data quality; a won one still counts for the tier', () => {
    const p = policy((x) => {
      x.requiredFields = { organization: [], person: [], deal: [{ field: 'Expected close date' }] };
    });
    const deals = [
      deal({ id: 1, orgId: 1, value: 900_000, isArchived: true, expectedCloseDate: null }),
      deal({ id: 2, orgId: 1, value: 10 }),
      wonDeal({ id: 3, orgId: 1, won: '2026-01-10', value: 2_000_000, isArchived: true }),
      // Years of history and recurrence (the tier criteria besides revenue), so revenue alone decides.
      wonDeal({ id: 4, orgId: 1, won: '2023-06-01', value: 10 }),
      wonDeal({ id: 5, orgId: 1, won: '2025-11-01', value: 10 }),
    ];
    const one = assessCompany(p, snapshot({ orgs: [org({ id: 1, addTime: '2019-01-01T00:00:00Z' })], deals }), clock(TODAY)).organizations[0]!;
    expect(one.relevantOpenDealId).toBe(2);
    expect(one.findings.filter((f) => f.entity === 'deal')).toEqual([]);
    // The archived won deal's revenue counts exactly as if it were not archived.
    const tierOf = (ds: typeof deals) => assessCompany(p, snapshot({ orgs: [org({ id: 1, addTime: '2019-01-01T00:00:00Z' })], deals: ds }), clock(TODAY)).organizations[0]!.tier.level;
    expect(one.tier.level).toBe(tierOf(deals.map((d) => ({ ...d, isArchived: false }))));
    expect(one.tier.level).toBeGreaterThan(tierOf(deals.filter((d) => d.id !== 3)));
    const onlyArchivedOpen = assessCompany(p, snapshot({ orgs: [org({ id: 1 })], deals: [deal({ id: 1, orgId: 1, isArchived: true })] }), clock(TODAY)).organizations[0]!;
    expect(onlyArchivedOpen).toMatchObject({ relevantOpenDealId: null, active: false });
  });

  it('missed activities (the per-executive view) are counted as the cadence counts them: past due + grace days, not the worker\'s own follow-ups', () => {
    // TODAY is 2026-03-10.
    const activities = [
      activity({ id: 1, orgId: 1, done: false, dueDate: '2026-03-09' }),
      activity({ id: 2, orgId: 1, done: false, dueDate: '2026-03-07' }),
      activity({ id: 3, orgId: 1, done: false, dueDate: '2026-03-01', cadenceKey: 'k1' }),
      activity({ id: 4, orgId: 1, done: false, dueDate: '2026-03-10' }),
    ];
    const missed = (graceDays: number) =>
      assessCompany(policy((x) => void (x.status.missedGraceDays = graceDays)), snapshot({ orgs: [org({ id: 1 })], activities }), clock(TODAY)).organizations[0]!.missedActivities;
    expect(missed(0)).toBe(2);
    expect(missed(2)).toBe(1);
  });

  it('relevant open deal ties go to the most recently updated', () => {
    const deals = [deal({ id: 1, orgId: 1, value: 10, updateTime: '2026-01-01T00:00:00Z' }), deal({ id: 2, orgId: 1, value: 10, updateTime: '2026-02-01T00:00:00Z' })];
    expect(assessCompany(policy(), snapshot({ orgs: [org({ id: 1 })], deals }), clock(TODAY)).organizations[0]!.relevantOpenDealId).toBe(2);
  });

  it('puts tier, cadence, risks and health together', () => {
    const o = r.organizations[1]!;
    expect(o.tier).toMatchObject({ level: 3, rule: 'explicit_field' });
    expect(o.active).toBe(true);
    expect(o.contractEndDate).toBe('2026-08-01');
    // Its two open deals have sat in their first stage since they were added (2025-01-01): stalled work.
    expect(o.risks.map((x) => x.kind).sort()).toEqual(['renewal_due', 'stakeholder_at_risk', 'stalled_deals']);
    expect(o.stalledDeals?.map((d) => d.dealId)).toEqual([200, 201]);
    expect(o.health.score).toBeLessThan(100);
    expect(o.assigneeId).toBe(o.ownerId);
  });

  it('an unknown clock zone is an error naming it', () => {
    expect(() => assessCompany(policy(), s, { now: new Date(), timeZone: 'Nowhere/City' })).toThrow(/Nowhere\/City/);
  });

  it('lists every policy field name the catalogue lacks', () => {
    const bare = assessCompany(policy(), snapshot({ orgs: [org({ id: 1 })], fields: FIELDS.filter((f) => f.entity !== 'person') }), clock(TODAY));
    expect(bare.unresolvedFields).toEqual([
      { entity: 'person', name: 'Stakeholder role' },
      { entity: 'person', name: 'Relationship strength' },
    ]);
    expect(r.unresolvedFields).toEqual([]);
  });
});
