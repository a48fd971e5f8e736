import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { engagementTrend } from '../../../src/rules/engagement.js';
import type { Activity } from '../../../src/domain/entities.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import { F, TIER_OPT, activity, addDays, clock, org, person, policy, snapshot, touch } from './fixtures.js';

const TODAY = '2026-03-10'; // Tuesday of 2026-W11

function engagement(acts: Activity[], opts: { p?: Policy; tz?: string; at?: string } = {}) {
  const s = snapshot({
    orgs: [org({ id: 1 }), org({ id: 2 })],
    persons: [person({ id: 10, orgId: 1 }), person({ id: 11, orgId: 1 }), person({ id: 12, orgId: 1, isDeleted: true }), person({ id: 20, orgId: 2 })],
    activities: acts,
  });
  return assessCompany(opts.p ?? policy(), s, clock(opts.at ?? TODAY, opts.tz)).organizations[0]!.engagement;
}

describe('weekly volume (ISO weeks in the firm time zone, current week last)', () => {
  it('counts touchpoints per week for engagement.weeks weeks', () => {
    const e = engagement([
      touch(1, 1, '2026-03-10'),
      touch(2, 1, '2026-03-09'), // Monday of W11
      touch(3, 1, '2026-03-08'), // Sunday: W10
      touch(4, 1, '2026-01-19'), // Monday of W04, the oldest week shown
      touch(5, 1, '2026-01-18'), // Sunday of W03: outside
      touch(6, 1, '2026-03-10', { type: 'task' }), // no category: no touchpoint
    ]);
    expect(e.weeks.map((w) => w.week)).toEqual(['2026-W04', '2026-W05', '2026-W06', '2026-W07', '2026-W08', '2026-W09', '2026-W10', '2026-W11']);
    expect(e.weeks.map((w) => w.count)).toEqual([1, 0, 0, 0, 0, 0, 1, 2]);
    // The trend's windows are the last 28 days (from 02-11) and the 28 before (01-14 to 02-10).
    expect(e.last4).toBe(3);
    expect(e.previous4).toBe(2);
  });

  it('clients share a week count only when it is the same week and count (shared, read-only objects)', () => {
    const s = snapshot({
      orgs: [org({ id: 1 }), org({ id: 2 })],
      persons: [person({ id: 10, orgId: 1 }), person({ id: 20, orgId: 2 })],
      activities: [touch(1, 1, '2026-03-10'), touch(2, 1, '2026-03-09'), touch(3, 2, '2026-03-10'), touch(4, 2, '2026-03-02')],
    });
    const [a, b] = assessCompany(policy(), s, clock(TODAY)).organizations.map((o) => o.engagement.weeks);
    expect(a!.map((w) => w.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 2]);
    expect(b!.map((w) => w.count)).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(a![0]).toBe(b![0]); // 2026-W04, 0 touchpoints: one object for both
    expect(a![7]).not.toBe(b![7]);
    expect(b![6]).not.toBe(b![7]); // same count, another week
    expect(b![7]).toEqual({ week: '2026-W11', count: 1 });
    expect(Object.isFrozen(a![0])).toBe(true);
  });

  it('an activity counts once per week however many categories it matches', () => {
    const e = engagement([touch(1, 1, '2026-03-10', { type: 'meeting', subject: 'QBR' })]);
    expect(e.weeks.at(-1)).toEqual({ week: '2026-W11', count: 1 });
  });

  it('engagement.weeks sets the span shown; last4/previous4 are always the last 2 × 28 days', () => {
    const p12 = policy((p) => {
      p.engagement.weeks = 12;
    });
    expect(engagement([], { p: p12 }).weeks).toHaveLength(12);
    const p2 = policy((p) => {
      p.engagement.weeks = 2;
    });
    const e = engagement([touch(1, 1, '2026-02-02')], { p: p2 });
    expect(e.weeks.map((w) => w.week)).toEqual(['2026-W10', '2026-W11']);
    expect(e.previous4).toBe(1);
  });

  it('ISO-week boundary in São Paulo: 01:30 UTC on Monday is Sunday, the previous week', () => {
    const a = activity({ id: 1, orgId: 1, dueDate: '2026-03-09', dueTime: '01:30:00', markedAsDoneTime: '2026-03-09T02:00:00Z' });
    const sp = engagement([a], { tz: 'America/Sao_Paulo' });
    expect(sp.weeks.slice(-2)).toEqual([
      { week: '2026-W10', count: 1 },
      { week: '2026-W11', count: 0 },
    ]);
  });

  it('the same activity falls in the new week in UTC', () => {
    const a = activity({ id: 1, orgId: 1, dueDate: '2026-03-09', dueTime: '01:30:00', markedAsDoneTime: '2026-03-09T02:00:00Z' });
    const utc = engagement([a], { tz: 'UTC' });
    expect(utc.weeks.slice(-2)).toEqual([
      { week: '2026-W10', count: 0 },
      { week: '2026-W11', count: 1 },
    ]);
  });

  it('"this week" follows the firm zone: 02:00 UTC on Monday is still last week in São Paulo', () => {
    const at = '2026-03-09T02:00:00Z';
    expect(engagement([], { at, tz: 'America/Sao_Paulo' }).weeks.at(-1)!.week).toBe('2026-W10');
    expect(engagement([], { at, tz: 'UTC' }).weeks.at(-1)!.week).toBe('2026-W11');
  });

  it('a year boundary: 2027-01-01 (Friday) is in 2026-W53', () => {
    const e = engagement([touch(1, 1, '2027-01-01')], { at: '2027-01-02' });
    expect(e.weeks.at(-1)).toEqual({ week: '2026-W53', count: 1 });
  });

  it('weeks across a DST change in New York stay whole weeks', () => {
    // 2026-03-08 is the spring-forward Sunday; 04:30 UTC on Monday 03-09 is 00:30 EDT Monday (W11).
    const a = activity({ id: 1, orgId: 1, dueDate: '2026-03-09', dueTime: '04:30:00' });
    const b = activity({ id: 2, orgId: 1, dueDate: '2026-03-09', dueTime: '03:30:00' }); // 23:30 EDT Sunday (W10)
    const e = engagement([a, b], { tz: 'America/New_York' });
    expect(e.weeks.slice(-2).map((w) => w.count)).toEqual([1, 1]);
  });
});

describe('trend: last 28 days vs the 28 before (thresholds 0.25, minChange 2)', () => {
  const t = { risingThreshold: 0.25, fallingThreshold: 0.25, minChange: 2 };
  it.each([
    ['nothing in either window', 0, 0, 'stable'],
    ['1 against 1 is no trend', 1, 1, 'stable'],
    ['1 after nothing is too small to be a rise', 1, 0, 'stable'],
    ['nothing after 1 is too small to be a fall', 0, 1, 'stable'],
    ['2 after nothing is rising', 2, 0, 'rising'],
    ['nothing after 4 is falling', 0, 4, 'falling'],
    ['equal windows', 4, 4, 'stable'],
    ['+50 % but only 1 more (3 vs 2) is stable', 3, 2, 'stable'],
    ['−50 % but only 1 fewer (1 vs 2) is stable', 1, 2, 'stable'],
    ['+25 % exactly, 2 more, is rising', 10, 8, 'rising'],
    ['−25 % exactly, 2 fewer, is falling', 6, 8, 'falling'],
    ['−20 % is stable', 8, 10, 'stable'],
    ['+20 % is stable', 12, 10, 'stable'],
  ])('%s (%i vs %i) → %s', (_name, last4, previous4, trend) => {
    expect(engagementTrend(last4, previous4, t)).toBe(trend);
  });

  it('threshold 0 means any change of at least minChange', () => {
    const zero = { risingThreshold: 0, fallingThreshold: 0, minChange: 1 };
    expect(engagementTrend(5, 4, zero)).toBe('rising');
    expect(engagementTrend(4, 4, zero)).toBe('stable');
    expect(engagementTrend(3, 4, zero)).toBe('falling');
  });

  it('a client with 1 touchpoint in the last 4 weeks and 1 in the 4 before is stable on every day of the week', () => {
    for (const at of ['2026-03-09', '2026-03-10', '2026-03-12', '2026-03-15']) {
      const e = engagement([touch(1, 1, addDays(at, -3)), touch(2, 1, addDays(at, -33))], { at });
      expect([e.last4, e.previous4, e.trend], at).toEqual([1, 1, 'stable']);
    }
  });

  it('a Monday morning is not a fall: the windows are equal whatever the weekday', () => {
    // One touchpoint a week, every Friday, for 8 weeks; read on a Monday before this week's call.
    const acts = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => touch(i + 1, 1, addDays('2026-03-06', -7 * i)));
    expect(engagement(acts, { at: '2026-03-09' }).trend).toBe('stable');
  });

  it('minChange comes from the policy', () => {
    const acts = [touch(1, 1, '2026-03-01'), touch(2, 1, '2026-03-02'), touch(3, 1, '2026-01-30')];
    expect(engagement(acts).trend).toBe('stable');
    const p = policy((pp) => {
      pp.engagement.minChange = 1;
    });
    expect(engagement(acts, { p }).trend).toBe('rising');
  });

  it('the thresholds come from the policy', () => {
    const p = policy((pp) => {
      pp.engagement.risingThreshold = 1;
    });
    // Sunday 2026-03-15: full weeks. 6 vs 4 = +50 %: rising by default, stable with a 100 % threshold.
    const acts = [
      ...[0, 1, 2, 3, 4, 5].map((i) => touch(i + 1, 1, addDays('2026-03-15', -i * 3))),
      ...[0, 1, 2, 3].map((i) => touch(i + 10, 1, addDays('2026-02-15', -i * 5))),
    ];
    expect(engagement(acts, { at: '2026-03-15' }).trend).toBe('rising');
    expect(engagement(acts, { at: '2026-03-15', p }).trend).toBe('stable');
  });
});

describe('breadth: distinct persons of the client touched in breadthDays (90)', () => {
  it('counts the client’s persons, participants included, within the window (inclusive)', () => {
    const e = engagement([
      touch(1, 1, addDays(TODAY, -90), { personId: 10, participantPersonIds: [10] }),
      touch(2, 1, addDays(TODAY, -3), { personId: null, participantPersonIds: [10, 20] }), // 20 belongs to another client
      touch(3, 1, addDays(TODAY, -91), { personId: 11, participantPersonIds: [11] }), // too old
      touch(4, 1, addDays(TODAY, -1), { participantPersonIds: [12] }), // deleted person
    ]);
    expect(e.breadth).toBe(1);
  });

  it('breadthDays comes from the policy', () => {
    const p = policy((pp) => {
      pp.engagement.breadthDays = 120;
    });
    const acts = [touch(1, 1, addDays(TODAY, -100), { personId: 11, participantPersonIds: [11] }), touch(2, 1, TODAY, { personId: 10, participantPersonIds: [10] })];
    expect(engagement(acts).breadth).toBe(1);
    expect(engagement(acts, { p }).breadth).toBe(2);
  });
});

describe('engagement by tier', () => {
  it('sums each tier’s clients per week, every policy tier listed', () => {
    const s = snapshot({
      orgs: [org({ id: 1, customFields: { [F.tier]: TIER_OPT['Tier 3'] } }), org({ id: 2, customFields: { [F.tier]: TIER_OPT['Tier 3'] } }), org({ id: 3 })],
      activities: [touch(1, 1, TODAY), touch(2, 2, TODAY), touch(3, 2, '2026-03-02'), touch(4, 3, TODAY)],
    });
    const r = assessCompany(policy(), s, clock(TODAY));
    expect(r.engagementByTier.map((t) => t.tier)).toEqual([1, 2, 3, 4]);
    const t3 = r.engagementByTier.find((t) => t.tier === 3)!;
    expect(t3.weeks.slice(-2)).toEqual([
      { week: '2026-W10', count: 1 },
      { week: '2026-W11', count: 2 },
    ]);
    expect(r.engagementByTier.find((t) => t.tier === 1)!.weeks.at(-1)!.count).toBe(1);
    expect(r.engagementByTier.find((t) => t.tier === 4)!.weeks.every((w) => w.count === 0)).toBe(true);
  });
});
