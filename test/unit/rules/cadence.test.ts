import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { cadenceStatus, regularity } from '../../../src/rules/cadence.js';
import { parseIsoDate } from '../../../src/rules/calendar.js';
import type { Activity, Deal } from '../../../src/domain/entities.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import { F, TIER_OPT, activity, addDays, clock, deal, org, policy, snapshot, touch, wonDeal } from './fixtures.js';

const TODAY = '2026-03-10';
const today = parseIsoDate(TODAY)!;

describe('cadenceStatus boundaries (status.dueSoonDays = 7)', () => {
  it.each([
    ['never touched', null, 30, 'never', null],
    ['due today (touched 30 days ago)', 30, 30, 'due_soon', 0],
    ['due tomorrow', 29, 30, 'due_soon', -1],
    ['due in exactly 7 days', 23, 30, 'due_soon', -7],
    ['due in 8 days', 22, 30, 'on_track', -8],
    ['overdue by one day', 31, 30, 'overdue', 1],
    ['overdue by 100 days', 130, 30, 'overdue', 100],
    ['weekly rule touched today: on_track (lead capped at cadence − 1)', 0, 7, 'on_track', -7],
    ['weekly rule touched yesterday: due within 6 days', 1, 7, 'due_soon', -6],
    ['daily rule touched today', 0, 1, 'on_track', -1],
    ['daily rule touched yesterday: due today', 1, 1, 'due_soon', 0],
  ])('%s', (_name, daysAgo, cadenceDays, status, gap) => {
    const r = cadenceStatus(daysAgo === null ? null : today - daysAgo, cadenceDays, today, 7);
    expect(r.status).toBe(status);
    expect(r.gapDays).toBe(gap);
    expect(r.daysSinceLast).toBe(daysAgo);
  });

  it('dueSoonDays = 0: only "due today" is due soon', () => {
    expect(cadenceStatus(today - 30, 30, today, 0).status).toBe('due_soon');
    expect(cadenceStatus(today - 29, 30, today, 0).status).toBe('on_track');
  });
});

/** An activity that qualifies for exactly the rule under test (and whatever else shares its category). */
const qualifying: Record<string, Partial<Activity>> = {
  operational: { type: 'email', subject: 'Status report', dealId: 900 }, // linked to the client's open deal (docs/policy.md §10.3)
  strategic: { type: 'meeting', subject: 'FUP mensal' },
  qbr: { type: 'meeting', subject: 'QBR Q1' },
  'annual-planning': { type: 'meeting', subject: 'Planejamento estratégico 2027' },
  maintenance: { type: 'email', subject: 'Feliz aniversário' },
  'executive-events': { type: 'lunch', subject: 'Jantar executivo com o CEO' },
};

function assess(p: Policy, tier: number, acts: Activity[], deals: Deal[] = [deal({ id: 900, orgId: 1 })]) {
  const o = org({ id: 1, customFields: { [F.tier]: TIER_OPT[`Tier ${tier}` as 'Tier 1'] } });
  return assessCompany(p, snapshot({ orgs: [o], deals, activities: acts }), clock(TODAY)).organizations[0]!;
}

describe('cadence per tier (the tier.cadence map of the shipped policy)', () => {
  const p = policy();
  // Onboarding rules (docs/policy.md §10.4) count from the client's start, not from a last touchpoint: tested below.
  const cases = p.tiers.flatMap((t) =>
    Object.entries(t.cadence).filter(([ruleId]) => p.cadenceRules[ruleId]!.kind === 'cadence').flatMap(([ruleId, c]) => [
      { tier: t.level, ruleId, days: c.days, ago: c.days, status: 'due_soon', label: 'due today' },
      { tier: t.level, ruleId, days: c.days, ago: c.days - 1, status: 'due_soon', label: 'due tomorrow' },
      { tier: t.level, ruleId, days: c.days, ago: c.days + 1, status: 'overdue', label: 'overdue by one day' },
      { tier: t.level, ruleId, days: c.days, ago: 0, status: 'on_track', label: 'touched today' },
    ]),
  );
  it.each(cases)('Tier $tier · $ruleId ($days days): $label → $status', ({ tier, ruleId, days, ago, status }) => {
    const a = assess(p, tier, [touch(1, 1, addDays(TODAY, -ago), qualifying[ruleId])]);
    const r = a.cadence.find((c) => c.ruleId === ruleId)!;
    expect(r.cadenceDays).toBe(days);
    expect(r.status).toBe(status);
    expect(r.nextDueDate).toBe(addDays(TODAY, days - ago));
  });

  it.each([
    [1, ['operational', 'maintenance']],
    [2, ['operational', 'strategic', 'maintenance']],
    [3, ['operational', 'strategic', 'qbr', 'annual-planning', 'maintenance', 'onboarding', 'executive-events']],
    [4, ['operational', 'strategic', 'qbr', 'annual-planning', 'maintenance', 'onboarding', 'executive-events']],
  ])('Tier %i has exactly the rules %j, each never touched without activities', (tier, rules) => {
    const a = assess(p, tier, []);
    expect(a.cadence.map((c) => c.ruleId)).toEqual(rules);
    expect(a.cadence.every((c) => c.status === 'never' && c.lastTouchpoint === null && c.gapDays === null)).toBe(true);
    // a client of 2025 is no longer new: its onboarding rule does not apply
    expect(a.cadence.filter((c) => !c.applies).map((c) => c.ruleId)).toEqual(tier >= 3 ? ['onboarding'] : []);
    expect(a.overallStatus).toBe('never');
  });

  it('carries onGap from the rule (operational → report, others → create)', () => {
    const a = assess(p, 3, []);
    expect(Object.fromEntries(a.cadence.map((c) => [c.ruleId, c.onGap]))).toEqual({
      operational: 'report',
      strategic: 'create',
      qbr: 'create',
      'annual-planning': 'create',
      maintenance: 'create',
      onboarding: 'create',
      // docs/policy.md §10.5: executive dinners and events are reported, not created.
      'executive-events': 'report',
    });
  });
});

describe('rule subject patterns narrow the category', () => {
  it('a QBR is executive but not annual planning; annual planning is both', () => {
    const a = assess(policy(), 3, [touch(1, 1, '2026-03-01', qualifying.qbr), touch(2, 1, '2025-06-01', qualifying['annual-planning'])]);
    const qbr = a.cadence.find((c) => c.ruleId === 'qbr')!;
    const annual = a.cadence.find((c) => c.ruleId === 'annual-planning')!;
    expect(qbr.lastTouchpoint).toEqual({ activityId: 1, date: '2026-03-01' });
    expect(annual.lastTouchpoint).toEqual({ activityId: 2, date: '2025-06-01' });
  });

  it('an executive dinner or event (docs/policy.md §10.5) meets the executive-events rule; a word merely containing "event" does not', () => {
    const dinner = assess(policy(), 3, [touch(1, 1, '2026-03-01', { type: 'lunch', subject: 'Jantar com a diretoria' }), touch(2, 1, '2026-02-01', { type: 'meeting', subject: 'Evento de lançamento' })]);
    expect(dinner.cadence.find((c) => c.ruleId === 'executive-events')!.lastTouchpoint).toEqual({ activityId: 1, date: '2026-03-01' });
    const other = assess(policy(), 3, [touch(1, 1, '2026-03-01', { type: 'meeting', subject: 'Prevent churn workshop' })]);
    expect(other.cadence.find((c) => c.ruleId === 'executive-events')!.status).toBe('never');
    expect(other.cadence.find((c) => c.ruleId === 'executive-events')!.onGap).toBe('report');
  });

  it('an operational-only e-mail does not touch the strategic rule', () => {
    const a = assess(policy(), 3, [touch(1, 1, TODAY, qualifying.operational)]);
    expect(a.cadence.find((c) => c.ruleId === 'operational')!.status).toBe('on_track');
    expect(a.cadence.find((c) => c.ruleId === 'strategic')!.status).toBe('never');
  });
});

describe('activeOnly rules (activeClientWindowDays = 90)', () => {
  it.each([
    ['an open deal', [deal({ id: 2, orgId: 1 })], true],
    ['a deal won 90 days ago', [wonDeal({ id: 2, orgId: 1, won: addDays(TODAY, -90) })], true],
    ['a deal won 91 days ago', [wonDeal({ id: 2, orgId: 1, won: addDays(TODAY, -91) })], false],
    ['only a lost deal', [deal({ id: 2, orgId: 1, status: 'lost', lostTime: '2026-03-01T00:00:00Z' })], false],
    ['a deleted open deal', [deal({ id: 2, orgId: 1, isDeleted: true })], false],
    ['no deals', [], false],
  ])('client with %s: active = %s', (_name, deals, active) => {
    const a = assess(policy(), 3, [], deals);
    expect(a.active).toBe(active);
    expect(a.cadence.find((c) => c.ruleId === 'operational')!.applies).toBe(active);
    expect(a.cadence.find((c) => c.ruleId === 'strategic')!.applies).toBe(true);
  });

  it('activeClientWindowDays is read from the policy', () => {
    const p = policy((pp) => {
      pp.activeClientWindowDays = 30;
    });
    expect(assess(p, 3, [], [wonDeal({ id: 2, orgId: 1, won: addDays(TODAY, -45) })]).active).toBe(false);
  });

  it('overall status is the worst applicable rule; not_applicable when none applies', () => {
    const p = policy((pp) => {
      pp.tiers[0]!.cadence = { operational: { days: 14, activeOnly: true } };
    });
    const inactive = assess(p, 1, [], []);
    expect(inactive.cadence[0]!.status).toBe('never');
    expect(inactive.overallStatus).toBe('not_applicable');
    const active = assess(p, 1, []);
    expect(active.overallStatus).toBe('never');
  });
});

describe('a rule outside the overall status (cadenceRules.<id>.inOverallStatus: false, executive events §10.5)', () => {
  const only = (inOverallStatus: boolean) =>
    policy((pp) => {
      pp.tiers[0]!.cadence = { maintenance: { days: 60, activeOnly: false }, 'executive-events': { days: 180, activeOnly: false } };
      pp.cadenceRules['executive-events']!.inOverallStatus = inOverallStatus;
    });
  const acts = [activity({ id: 1, orgId: 1, type: 'call', subject: 'Check-in', done: true, dueDate: addDays(TODAY, -10), dealId: null })];

  it('is measured and reported (never) but leaves the flag, the next due date and the health score alone', () => {
    const a = assess(only(false), 1, acts, []);
    expect(a.cadence.find((c) => c.ruleId === 'executive-events')).toMatchObject({ status: 'never', onGap: 'report' });
    expect(a.overallStatus).toBe('on_track');
    expect(a.nextDueDate).toBe(addDays(TODAY, 50));
    expect(a.health.parts.map((part) => part.kind)).not.toContain('never');
  });

  it('with inOverallStatus: true the same gap sets the client to never and costs health points', () => {
    const a = assess(only(true), 1, acts, []);
    expect(a.overallStatus).toBe('never');
    expect(a.health.parts.map((part) => part.kind)).toContain('never');
  });
});

describe('open scheduled activities (by anyone)', () => {
  it('finds the earliest open qualifying activity and ignores done, deleted and non-qualifying ones', () => {
    const acts = [
      activity({ id: 1, orgId: 1, done: false, type: 'meeting', subject: 'FUP', dueDate: '2026-03-20', ownerId: 7 }),
      activity({ id: 2, orgId: 1, done: false, type: 'meeting', subject: 'FUP', dueDate: '2026-03-12', ownerId: 6, cadenceKey: 'k1' }),
      activity({ id: 3, orgId: 1, done: false, type: 'meeting', subject: 'FUP', dueDate: '2026-03-11', isDeleted: true }),
      activity({ id: 4, orgId: 1, done: false, type: 'task', subject: 'FUP', dueDate: '2026-03-11' }),
    ];
    const strategic = assess(policy(), 3, acts).cadence.find((c) => c.ruleId === 'strategic')!;
    expect(strategic.openScheduled).toEqual({ activityId: 2, dueDate: '2026-03-12', cadenceKey: 'k1', ownerId: 6 });
    expect(strategic.status).toBe('never'); // open activities are no touchpoints
  });

  it('an open e-mail schedules nothing for the strategic rule', () => {
    const acts = [activity({ id: 1, orgId: 1, done: false, type: 'email', dueDate: '2026-03-12', dealId: 900 })];
    const a = assess(policy(), 3, acts);
    expect(a.cadence.find((c) => c.ruleId === 'strategic')!.openScheduled).toBeNull();
    expect(a.cadence.find((c) => c.ruleId === 'operational')!.openScheduled?.activityId).toBe(1);
  });

  it('one past its due date is missed (TODAY is 03-10): no longer scheduled, the latest missed one reported; ours are left to escalation', () => {
    const acts = [
      activity({ id: 1, orgId: 1, done: false, type: 'meeting', subject: 'FUP', dueDate: '2026-03-02', ownerId: 7 }),
      activity({ id: 2, orgId: 1, done: false, type: 'meeting', subject: 'FUP', dueDate: '2026-03-09', ownerId: 8 }),
    ];
    const strategic = assess(policy(), 3, acts).cadence.find((c) => c.ruleId === 'strategic')!;
    expect(strategic.openScheduled).toBeNull();
    expect(strategic.missed).toEqual({ activityId: 2, dueDate: '2026-03-09', ownerId: 8, subject: 'FUP' });
    // Due today is not missed; an auto-created follow-up past due stays "scheduled" (escalation handles it).
    const today = assess(policy(), 3, [activity({ id: 3, orgId: 1, done: false, type: 'meeting', subject: 'FUP', dueDate: TODAY })]).cadence.find((c) => c.ruleId === 'strategic')!;
    expect([today.openScheduled?.activityId, today.missed]).toEqual([3, null]);
    const ours = assess(policy(), 3, [activity({ id: 4, orgId: 1, done: false, type: 'meeting', dueDate: '2026-03-01', cadenceKey: 'fu:1:strategic:never' })]).cadence.find((c) => c.ruleId === 'strategic')!;
    expect([ours.openScheduled?.activityId, ours.missed]).toEqual([4, null]);
  });

  it('status.missedGraceDays keeps it scheduled that many days past its due date', () => {
    const acts = [activity({ id: 1, orgId: 1, done: false, type: 'meeting', subject: 'FUP', dueDate: '2026-03-08' })];
    const grace = (n: number) => assess(policy((p) => void (p.status.missedGraceDays = n)), 3, acts).cadence.find((c) => c.ruleId === 'strategic')!;
    expect(grace(2).openScheduled?.activityId).toBe(1);
    expect(grace(1).openScheduled).toBeNull();
    expect(grace(1).missed?.activityId).toBe(1);
  });

  it('its due date is the firm-zone date of due date + UTC due time', () => {
    const acts = [activity({ id: 1, orgId: 1, done: false, type: 'call', dueDate: '2026-03-16', dueTime: '01:30:00', dealId: 900 })];
    expect(assess(policy(), 3, acts).cadence[0]!.openScheduled?.dueDate).toBe('2026-03-15');
  });
});

describe('regularity of past gaps', () => {
  it.each([
    ['fewer than two touchpoint days', ['2026-03-01'], null],
    ['two on the same day are one', ['2026-03-01', '2026-03-01'], null],
    ['every 7 days', ['2026-02-01', '2026-02-08', '2026-02-15', '2026-02-22'], { intervals: 3, meanGapDays: 7, stdDevGapDays: 0 }],
    ['irregular', ['2026-01-01', '2026-01-02', '2026-01-31'], { intervals: 2, meanGapDays: 15, stdDevGapDays: 14 }],
  ])('%s', (_name, dates, expected) => {
    expect(regularity(dates.map((d) => parseIsoDate(d)!))).toEqual(expected);
  });

  it('is reported per rule from its qualifying touchpoints', () => {
    const acts = ['2026-01-05', '2026-02-04', '2026-03-06'].map((d, i) => touch(i + 1, 1, d, qualifying.strategic));
    const r = assess(policy(), 3, acts).cadence.find((c) => c.ruleId === 'strategic')!;
    expect(r.regularity).toEqual({ intervals: 2, meanGapDays: 30, stdDevGapDays: 0 });
  });
});

describe('org-level cadence facts', () => {
  it('nextDueDate is the earliest among applicable rules; lastTouchpointDate the latest touchpoint', () => {
    const acts = [touch(1, 1, '2026-03-01', { type: 'call', subject: 'FUP' }), touch(2, 1, '2026-01-20', qualifying.qbr)];
    const a = assess(policy(), 3, acts, []); // inactive: operational (7 days) does not apply
    expect(a.lastTouchpointDate).toBe('2026-03-01');
    // strategic: 03-01 + 30 = 03-31; qbr: 01-20 + 90 = 04-20; maintenance and annual: never.
    expect(a.nextDueDate).toBe('2026-03-31');
    expect(a.overallStatus).toBe('never');
  });
});

describe('new clients (docs/policy.md §10.4): the cadence starts at the first won deal, else the creation', () => {
  const tier3 = (over: Partial<Parameters<typeof org>[0]> = {}) => org({ id: 1, addTime: '2020-01-01T12:00:00Z', customFields: { [F.tier]: TIER_OPT['Tier 3'] }, ...over });
  const run = (o: ReturnType<typeof org>, deals: Deal[], acts: Activity[] = []) =>
    assessCompany(policy(), snapshot({ orgs: [o], deals, activities: acts }), clock(TODAY)).organizations[0]!;
  const rule = (a: ReturnType<typeof run>, id: string) => a.cadence.find((c) => c.ruleId === id)!;
  const twoMonthsAgo = addDays(TODAY, -60);

  it('a two-month-old Tier 3 client gets the onboarding gap and no QBR or annual-planning gap', () => {
    const a = run(tier3(), [wonDeal({ id: 2, orgId: 1, won: twoMonthsAgo })]);
    expect(rule(a, 'onboarding')).toMatchObject({ applies: true, status: 'never', lastTouchpoint: null, nextDueDate: null });
    // due one full period after the start, not before
    expect(rule(a, 'qbr')).toMatchObject({ status: 'on_track', lastTouchpoint: null, nextDueDate: addDays(twoMonthsAgo, 90), gapDays: -30, daysSinceLast: null });
    expect(rule(a, 'annual-planning')).toMatchObject({ status: 'on_track', nextDueDate: addDays(twoMonthsAgo, 365) });
    expect(rule(a, 'maintenance')).toMatchObject({ status: 'on_track', nextDueDate: addDays(twoMonthsAgo, 90) });
    expect(rule(a, 'strategic')).toMatchObject({ status: 'never', nextDueDate: null }); // a month has passed without a FUP
  });

  it('a client without a won deal starts at its creation; one older than the rule\'s period is `never` as before', () => {
    const young = run(tier3({ addTime: `${addDays(TODAY, -20)}T12:00:00Z` }), []);
    expect(rule(young, 'strategic')).toMatchObject({ status: 'on_track', nextDueDate: addDays(TODAY, 10) });
    expect(rule(young, 'onboarding')).toMatchObject({ applies: true, status: 'never' });
    const old = run(tier3(), []);
    expect(rule(old, 'strategic')).toMatchObject({ status: 'never', nextDueDate: null });
    expect(rule(old, 'onboarding').applies).toBe(false);
  });

  it('the first won deal counts, not the creation: an organization created years ago that just signed is new', () => {
    const a = run(tier3(), [wonDeal({ id: 2, orgId: 1, won: addDays(TODAY, -10) }), wonDeal({ id: 3, orgId: 1, won: addDays(TODAY, -5) })]);
    expect(rule(a, 'onboarding').applies).toBe(true);
    expect(rule(a, 'qbr').nextDueDate).toBe(addDays(TODAY, 80));
  });

  it('a touchpoint before the start (the sales talks) does not make a rule due before one period after the start', () => {
    const a = run(tier3(), [wonDeal({ id: 2, orgId: 1, won: twoMonthsAgo })], [touch(1, 1, addDays(TODAY, -200), qualifying.qbr)]);
    expect(rule(a, 'qbr')).toMatchObject({ status: 'on_track', lastTouchpoint: { activityId: 1, date: addDays(TODAY, -200) }, daysSinceLast: 200, nextDueDate: addDays(twoMonthsAgo, 90) });
  });

  it('onboarding is established by a strategic touchpoint on or after the start, or by the worker\'s own onboarding follow-up done', () => {
    const deals = [wonDeal({ id: 2, orgId: 1, won: twoMonthsAgo })];
    const before = run(tier3(), deals, [touch(1, 1, addDays(TODAY, -70), qualifying.strategic)]);
    expect(rule(before, 'onboarding').status).toBe('never');
    const fup = run(tier3(), deals, [touch(1, 1, addDays(TODAY, -3), qualifying.strategic)]);
    expect(rule(fup, 'onboarding')).toMatchObject({ status: 'on_track', lastTouchpoint: { activityId: 1, date: addDays(TODAY, -3) }, nextDueDate: addDays(twoMonthsAgo, 90) });
    const ours = run(tier3(), deals, [touch(1, 1, addDays(TODAY, -3), { type: 'meeting', subject: 'Acme', cadenceKey: 'fu:1:onboarding:never' })]);
    expect(rule(ours, 'onboarding').status).toBe('on_track');
    expect(rule(ours, 'strategic').lastTouchpoint?.activityId).toBe(1); // the onboarding meeting is strategic too
    const call = run(tier3(), deals, [touch(1, 1, addDays(TODAY, -3), { type: 'call', subject: 'Ligação' })]);
    expect(rule(call, 'onboarding').status).toBe('never'); // a maintenance call establishes no cadence
  });

  it('after its first 90 days the client is no longer new: the onboarding rule stops applying', () => {
    const a = run(tier3(), [wonDeal({ id: 2, orgId: 1, won: addDays(TODAY, -90) })]);
    expect(rule(a, 'onboarding')).toMatchObject({ applies: false, status: 'never' });
    // the first QBR period has passed without one: never touched, as for any client
    expect(rule(a, 'qbr')).toMatchObject({ status: 'never', nextDueDate: null });
    const dayBefore = run(tier3(), [wonDeal({ id: 2, orgId: 1, won: addDays(TODAY, -89) })]);
    expect(rule(dayBefore, 'qbr')).toMatchObject({ status: 'due_soon', nextDueDate: addDays(TODAY, 1) });
    expect(rule(dayBefore, 'onboarding').applies).toBe(true);
  });
});

describe('the last touchpoint of any kind beside the rule\'s own (docs/policy.md §10.4 "words that are true")', () => {
  it('a client met 4 days ago by a call has no strategic touchpoint on record, and its last contact is that call', () => {
    const a = assess(policy(), 3, [touch(1, 1, addDays(TODAY, -40), qualifying.qbr), touch(2, 1, addDays(TODAY, -4), { type: 'call', subject: 'Ligação' })], []);
    const strategic = a.cadence.find((c) => c.ruleId === 'strategic')!;
    expect(strategic).toMatchObject({ status: 'never', lastTouchpoint: null, lastAnyTouchpoint: { activityId: 2, date: addDays(TODAY, -4) } });
    expect(a.cadence.every((c) => c.lastAnyTouchpoint?.activityId === 2)).toBe(true);
    expect(assess(policy(), 3, [], []).cadence.every((c) => c.lastAnyTouchpoint === null)).toBe(true);
  });
});
