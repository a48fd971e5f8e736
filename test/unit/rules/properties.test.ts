/**
 * Property tests over clients drawn by a seeded generator (fixtures.seeded): random policies' cadence
 * lengths and lead times, random persons, deals and activities (done, open, deleted, with and without
 * due times, some dated in the future).
 */
import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { STATUS_RANK } from '../../../src/rules/cadence.js';
import { CATEGORIES } from '../../../src/config/policy-schema.js';
import type { Category, Policy } from '../../../src/config/policy-schema.js';
import type { Activity, Deal, Person } from '../../../src/domain/entities.js';
import { F, TIER_OPT, activity, addDays, deal, org, person, policy, seeded, snapshot, wonDeal } from './fixtures.js';
import type { OrgAssessment } from '../../../src/rules/types.js';

const TODAY = '2026-03-10';
const TYPES = ['call', 'meeting', 'email', 'lunch', 'task'];
const SUBJECTS = ['Check-in', 'FUP mensal', 'QBR Q1', 'Planejamento estratégico 2027', 'Almoço', 'Proposta'];
const ZONES = ['America/Sao_Paulo', 'UTC', 'America/New_York', 'Europe/Lisbon'];

interface World {
  p: Policy;
  timeZone: string;
  now: string;
  persons: Person[];
  deals: Deal[];
  activities: Activity[];
  tier: 1 | 2 | 3 | 4;
}

function draw(seed: number): World {
  const rnd = seeded(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  const p = policy((pp) => {
    pp.status.dueSoonDays = int(12);
    for (const t of pp.tiers) for (const c of Object.values(t.cadence)) c.days = 1 + int(120);
  });
  const persons = Array.from({ length: int(4) }, (_, i) => person({ id: 10 + i, orgId: 1 }));
  const deals: Deal[] = [];
  if (rnd() < 0.5) deals.push(deal({ id: 100, orgId: 1 }));
  if (rnd() < 0.5) deals.push(wonDeal({ id: 101, orgId: 1, won: addDays(TODAY, -int(200)) }));
  const activities = Array.from({ length: int(25) }, (_, i) => {
    const due = addDays(TODAY, int(400) - 380); // mostly past, some up to 20 days ahead
    const pid = persons.length > 0 && rnd() < 0.6 ? pick(persons).id : null;
    return activity({
      id: i + 1,
      orgId: rnd() < 0.8 ? 1 : null,
      dealId: rnd() < 0.2 && deals.length > 0 ? deals[0]!.id : null,
      personId: pid,
      participantPersonIds: pid === null ? [] : [pid],
      type: pick(TYPES),
      subject: pick(SUBJECTS),
      done: rnd() < 0.75,
      isDeleted: rnd() < 0.05,
      dueDate: rnd() < 0.9 ? due : null,
      dueTime: rnd() < 0.5 ? `${String(int(24)).padStart(2, '0')}:${pick(['00', '15', '30', '45'])}:00` : null,
      markedAsDoneTime: `${addDays(due, int(5))}T${String(int(24)).padStart(2, '0')}:00:00Z`,
    });
  });
  const hour = String(int(24)).padStart(2, '0');
  return { p, timeZone: pick(ZONES), now: `${TODAY}T${hour}:30:00Z`, persons, deals, activities, tier: (1 + int(4)) as 1 | 2 | 3 | 4 };
}

function assessWorld(w: World, extra: Activity[] = []): OrgAssessment {
  const s = snapshot({
    orgs: [org({ id: 1, customFields: { [F.tier]: TIER_OPT[`Tier ${w.tier}`] } })],
    persons: w.persons,
    deals: w.deals,
    activities: [...w.activities, ...extra],
  });
  return assessCompany(w.p, s, { now: new Date(w.now), timeZone: w.timeZone }).organizations[0]!;
}

const RUNS = 300;

describe('property: a touchpoint never makes a status worse', () => {
  it(`holds for ${RUNS} generated clients and touchpoints`, () => {
    for (let seed = 1; seed <= RUNS; seed += 1) {
      const w = draw(seed);
      const rnd = seeded(seed * 7919);
      const before = assessWorld(w);
      const extra = activity({
        id: 999,
        orgId: 1,
        type: TYPES[Math.floor(rnd() * TYPES.length)]!,
        subject: SUBJECTS[Math.floor(rnd() * SUBJECTS.length)]!,
        dueDate: addDays(TODAY, Math.floor(rnd() * 420) - 400),
        dueTime: rnd() < 0.5 ? '01:30:00' : null,
        markedAsDoneTime: `${TODAY}T12:00:00Z`,
      });
      const after = assessWorld(w, [extra]);
      after.cadence.forEach((r, i) => {
        const b = before.cadence[i]!;
        expect(r.ruleId).toBe(b.ruleId);
        expect(STATUS_RANK[r.status], `seed ${seed}, rule ${r.ruleId}: ${b.status} → ${r.status}`).toBeLessThanOrEqual(STATUS_RANK[b.status]);
        expect(r.applies).toBe(b.applies);
      });
      expect(STATUS_RANK[after.overallStatus]).toBeLessThanOrEqual(STATUS_RANK[before.overallStatus]);
    }
  });
});

/** A done activity of today that qualifies for every cadence rule of its category in the shipped policy. */
const TODAY_TOUCH: Record<Category, Partial<Activity>> = {
  operational: { type: 'email', subject: 'Status', dealId: 100 }, // linked to an open deal (docs/policy.md §10.3)
  strategic: { type: 'lunch', subject: 'FUP' },
  executive: { type: 'meeting', subject: 'QBR + planejamento estratégico anual + jantar executivo' },
  maintenance: { type: 'call', subject: 'Check-in' },
};

describe('property: a qualifying done activity today puts every rule of its category on track', () => {
  it(`holds for ${RUNS} generated clients, each category, with and without a due time`, () => {
    for (let seed = 1; seed <= RUNS; seed += 1) {
      const w = draw(seed);
      for (const category of CATEGORIES) {
        // Today in the firm's zone: an all-day due date, or a due time that is today there (noon local ≈ 15:00 UTC ± 5 h).
        const local = new Intl.DateTimeFormat('en-CA', { timeZone: w.timeZone }).format(new Date(w.now));
        const withTime = seed % 2 === 0;
        const extra = activity({ id: 999, orgId: 1, dueDate: local, dueTime: withTime ? '15:00:00' : null, markedAsDoneTime: w.now, ...TODAY_TOUCH[category] });
        // The operational touch is linked to the open deal 100: make sure the client has it.
        const world = category === 'operational' && !w.deals.some((d) => d.id === 100) ? { ...w, deals: [...w.deals, deal({ id: 100, orgId: 1 })] } : w;
        const after = assessWorld(world, [extra]);
        const rules = after.cadence.filter((r) => r.category === category);
        for (const r of rules) {
          expect(r.status, `seed ${seed}, ${category}, rule ${r.ruleId}`).toBe('on_track');
          expect(r.lastTouchpoint?.date).toBe(local);
          expect(r.daysSinceLast).toBe(0);
        }
      }
    }
  });
});
