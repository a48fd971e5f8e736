/**
 * Changes between nights (docs/policy.md §10.5): owner handovers and stakeholder changes, detected from the
 * picture kept the night before, once, even when the night after the change is missed; their effects on the
 * risks, the outreach collisions and the handover facts. Nights are simulated with `nextMemory`, as the job
 * runs it, with fixed dates.
 */
import { describe, expect, it } from 'vitest';
import type { MirrorSnapshot, Organization, Person } from '../../../src/domain/entities.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { keepRecent, nextMemory, parseMemory, type ChangeEvent, type RelationshipMemory } from '../../../src/rules/changes.js';
import { F, FIELDS, ROLE, clock, deal, org, person, policy, snapshot, touch } from './fixtures.js';

const P = policy();
const night = (date: string) => new Date(`${date}T15:00:00Z`);

const client = (over: Partial<Organization> = {}) => org({ id: 1, name: 'Cliente Um', ownerId: 5, ...over });
const decisionMaker = (over: Partial<Person> = {}) => person({ id: 10, orgId: 1, name: 'Roberta Decisora', ...over, customFields: { [F.role]: ROLE['Decision maker'], ...over.customFields } });

/** Runs the nights in order, each with its mirror; returns each night's fresh events and the last memory. */
function nights(...steps: Array<[date: string, mirror: MirrorSnapshot]>): { fresh: ChangeEvent[][]; memory: RelationshipMemory } {
  let memory: RelationshipMemory | undefined;
  const fresh: ChangeEvent[][] = [];
  for (const [date, mirror] of steps) {
    const next = nextMemory(parseMemory(JSON.parse(JSON.stringify(memory ?? null))), mirror, night(date), P);
    fresh.push(next.events.filter((e) => !memory?.events.some((old) => JSON.stringify(old) === JSON.stringify(e))));
    memory = next;
  }
  return { fresh, memory: memory! };
}

describe('owner handover', () => {
  it('is seen once, the night after the change, and not on the first night', () => {
    const before = snapshot({ orgs: [client()] });
    const after = snapshot({ orgs: [client({ ownerId: 6 })] });
    const { fresh } = nights(['2026-03-01', before], ['2026-03-02', after], ['2026-03-03', after]);
    expect(fresh).toEqual([[], [{ kind: 'handover', day: '2026-03-02', since: '2026-03-01', orgId: 1, fromOwnerId: 5, toOwnerId: 6 }], []]);
  });

  it('survives a missed night: the change is compared with the last picture kept, whenever that was', () => {
    const before = snapshot({ orgs: [client()] });
    const after = snapshot({ orgs: [client({ ownerId: 6 })] });
    // The change happened on the 2nd; no night ran on the 2nd or 3rd.
    const { fresh } = nights(['2026-03-01', before], ['2026-03-04', after], ['2026-03-05', after]);
    expect(fresh[1]).toEqual([{ kind: 'handover', day: '2026-03-04', since: '2026-03-01', orgId: 1, fromOwnerId: 5, toOwnerId: 6 }]);
    expect(fresh[2]).toEqual([]);
  });

  it('needs an owner on both sides', () => {
    const { fresh } = nights(['2026-03-01', snapshot({ orgs: [client({ ownerId: null })] })], ['2026-03-02', snapshot({ orgs: [client()] })], ['2026-03-03', snapshot({ orgs: [client({ ownerId: null })] })]);
    expect(fresh.flat()).toEqual([]);
  });

  it('is kept 90 days (handover.previousOwnerDays), then dropped', () => {
    const e: ChangeEvent = { kind: 'handover', day: '2026-01-01', since: '2025-12-31', orgId: 1, fromOwnerId: 5, toOwnerId: 6 };
    expect(keepRecent([e, e], '2026-04-01', 90)).toEqual([e]);
    expect(keepRecent([e], '2026-04-02', 90)).toEqual([]);
  });

  it('leaves the previous owner out of outreach collisions and hands the new owner the client history', () => {
    const o = client({ ownerId: 6 });
    const acts = [touch(1, 1, '2026-03-02', { ownerId: 5, subject: 'Última reunião do Ana' }), touch(2, 1, '2026-03-03', { ownerId: 6 }), touch(3, 1, '2026-03-04', { ownerId: 7 })];
    const mirror = snapshot({ orgs: [o], persons: [decisionMaker()], deals: [deal({ id: 20, orgId: 1, title: 'Projeto aberto', value: 50_000 })], activities: acts });
    const handover: ChangeEvent = { kind: 'handover', day: '2026-03-09', since: '2026-03-08', orgId: 1, fromOwnerId: 5, toOwnerId: 6 };
    const without = assessCompany(P, mirror, clock('2026-03-10')).organizations[0]!;
    expect(without.risks.map((r) => r.kind)).toContain('outreach_collision');
    expect(without.handover).toBeUndefined();
    const withIt = assessCompany(P, mirror, clock('2026-03-10'), { changes: [handover] }).organizations[0]!;
    expect(withIt.risks.map((r) => r.kind)).not.toContain('outreach_collision');
    expect(withIt.handover).toMatchObject({ fromOwnerId: 5, toOwnerId: 6, day: '2026-03-09', since: '2026-03-08' });
    expect(withIt.handover!.touchpoints.map((t) => t.date)).toEqual(['2026-03-04', '2026-03-03', '2026-03-02']);
    expect(withIt.handover!.openDeals).toEqual([{ title: 'Projeto aberto', value: 50_000, currency: 'BRL' }]);
    expect(withIt.handover!.stakeholders).toEqual([{ name: 'Roberta Decisora', role: 'Decision maker' }]);
  });

  it('no longer applies when the client changed owner again', () => {
    const handover: ChangeEvent = { kind: 'handover', day: '2026-03-09', since: '2026-03-08', orgId: 1, fromOwnerId: 5, toOwnerId: 6 };
    const a = assessCompany(P, snapshot({ orgs: [client({ ownerId: 7 })] }), clock('2026-03-10'), { changes: [handover] }).organizations[0]!;
    expect(a.handover).toBeUndefined();
  });
});

describe('stakeholder change', () => {
  const other = org({ id: 2, name: 'Outra Empresa' });
  it.each([
    ['deleted', { persons: [] as Person[] }, 'deleted', undefined, 'stakeholder_change'],
    ['marked deleted', { persons: [decisionMaker({ isDeleted: true })] }, 'deleted', undefined, 'stakeholder_change'],
    ['moved', { persons: [decisionMaker({ orgId: 2 })] }, 'moved', 'Outra Empresa', 'stakeholder_moved'],
    ['role changed', { persons: [decisionMaker({ customFields: { [F.role]: ROLE.Influencer } })] }, 'role_changed', 'Influencer', 'stakeholder_role_changed'],
    ['role emptied', { persons: [decisionMaker({ customFields: { [F.role]: null } })] }, 'role_changed', '—', 'stakeholder_role_changed'],
  ])('a decision maker %s → a risk, seen once', (_what, parts, change, now, textKey) => {
    const before = snapshot({ orgs: [client(), other], persons: [decisionMaker()] });
    const after = snapshot({ orgs: [client(), other], ...parts });
    const { fresh, memory } = nights(['2026-03-01', before], ['2026-03-03', after], ['2026-03-04', after]);
    expect(fresh[1]).toEqual([{ kind: 'stakeholder', day: '2026-03-03', since: '2026-03-01', orgId: 1, personId: 10, name: 'Roberta Decisora', role: 'Decision maker', change, ...(now ? { now } : {}) }]);
    expect(fresh[2]).toEqual([]);
    const risks = assessCompany(P, after, clock('2026-03-04'), { changes: memory.events }).organizations.find((o) => o.orgId === 1)!.risks;
    expect(risks.map((r) => r.textKey ?? r.kind)).toEqual([textKey]);
    // …for stakeholderChanges.riskDays (90) after the night it was seen.
    expect(assessCompany(P, after, clock('2026-06-01'), { changes: memory.events }).organizations.find((o) => o.orgId === 1)!.risks).toHaveLength(1);
    expect(assessCompany(P, after, clock('2026-06-02'), { changes: memory.events }).organizations.find((o) => o.orgId === 1)!.risks).toHaveLength(0);
  });

  it('an influencer leaving is not a stakeholder change; a champion is', () => {
    const inf = person({ id: 11, orgId: 1, customFields: { [F.role]: ROLE.Influencer } });
    const champ = person({ id: 12, orgId: 1, name: 'Carlos Champion', customFields: { [F.role]: ROLE.Champion } });
    const { fresh } = nights(['2026-03-01', snapshot({ orgs: [client()], persons: [inf, champ] })], ['2026-03-02', snapshot({ orgs: [client()], persons: [] })]);
    expect(fresh[1]!.map((e) => (e.kind === 'stakeholder' ? e.personId : null))).toEqual([12]);
  });

  it('a role field missing for a night (renamed in Pipedrive) is no change of role, and the stakeholders are kept until it is back', () => {
    const withField = snapshot({ orgs: [client()], persons: [decisionMaker()] });
    const without = snapshot({ orgs: [client()], persons: [decisionMaker()], fields: FIELDS.filter((f) => f.key !== F.role) });
    const { fresh } = nights(['2026-03-01', withField], ['2026-03-02', without], ['2026-03-03', withField], ['2026-03-04', snapshot({ orgs: [client()] })]);
    expect(fresh.slice(0, 3).flat()).toEqual([]);
    expect(fresh[3]!.map((e) => (e.kind === 'stakeholder' ? e.change : e.kind))).toEqual(['deleted']);
  });

  it('a memory that is not one (a damaged or older value) starts afresh', () => {
    expect(parseMemory({ v: 2 })).toBeUndefined();
    expect(parseMemory(undefined)).toBeUndefined();
  });
});

describe('the memory at the benchmark size', () => {
  it('stays a few MB for 50,000 clients with 4 persons each (printed; the bench dataset maps the first person as decision maker)', () => {
    const orgs: Organization[] = [];
    const persons: Person[] = [];
    const roles = [ROLE['Decision maker'], ROLE.Champion, ROLE.Influencer, ROLE.User, ROLE.Blocker];
    for (let id = 1; id <= 50_000; id += 1) {
      orgs.push(org({ id, ownerId: 2 + (id % 6) }));
      for (let i = 0; i < 4; i += 1) {
        const pid = id * 4 + i;
        persons.push(person({ id: pid, orgId: id, name: `Gabriela Rodrigues ${pid}`, customFields: { [F.role]: i === 0 ? roles[0] : roles[pid % 5] } }));
      }
    }
    const mirror = snapshot({ orgs, persons });
    const started = performance.now();
    const memory = nextMemory(undefined, mirror, night('2026-03-10'), P);
    const ms = performance.now() - started;
    const bytes = Buffer.byteLength(JSON.stringify(memory));
    console.log(`relationship memory at 50,000 clients: ${(bytes / 1_048_576).toFixed(1)} MiB of JSON, taken in ${ms.toFixed(0)} ms`);
    expect(memory.picture.owners).toHaveLength(50_000);
    expect(bytes).toBeLessThan(10 * 1_048_576);
  });
});
