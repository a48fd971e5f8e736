/**
 * The seeded generator of the rules benchmark's mirror (bench/rules-bench.ts): organizations, persons, deals
 * and activities with the shapes and proportions of a large Pipedrive company, no sandbox and no network.
 * Also the fixture of test/unit/plan/plan-equality.test.ts (a small scale), so the planner's output on it
 * is pinned.
 */
import { mulberry32 } from '../sandbox/prng.js';
import type { Activity, Deal, FieldDefinition, MirrorSnapshot, Organization, Person, User } from '../src/domain/entities.js';

/** A mirror of `scale` × (50k organizations, 200k persons, 200k deals, 1M activities), the same for the same seed. */
export function generateMirror(seed: number, scale: number, now: Date): MirrorSnapshot {
  const NOW = now;
  const N_ORGS = Math.round(50_000 * scale);
  const N_PERSONS = Math.round(200_000 * scale);
  const N_DEALS = Math.round(200_000 * scale);
  const N_ACTIVITIES = Math.round(1_000_000 * scale);
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;

  // Shared string pools, as a parsed mirror would intern repeated values in practice (dates, types).
  const DAYS_BACK = 800;
  const dates: string[] = [];
  for (let d = -DAYS_BACK; d <= 30; d += 1) dates.push(new Date(NOW.getTime() + d * 86_400_000).toISOString().slice(0, 10));
  const dateAt = (daysAgo: number) => dates[DAYS_BACK - daysAgo]!;
  const stamps = dates.map((d) => Array.from({ length: 24 }, (_, h) => `${d}T${String(h).padStart(2, '0')}:00:00Z`));
  const stampAt = (daysAgo: number) => stamps[DAYS_BACK - daysAgo]![int(24)]!;
  const times = Array.from({ length: 96 }, (_, q) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}:00`);
  const types = ['call', 'call', 'meeting', 'meeting', 'email', 'email', 'lunch', 'task', 'deadline'];
  const subjects = ['Check-in', 'FUP mensal', 'Status meeting', 'QBR Q1', 'Planejamento estratégico 2027', 'Proposta comercial', 'Almoço', 'Feliz aniversário', 'Squad kick-off'];
  const noParticipants: number[] = [];

  const fields: FieldDefinition[] = [
    { entity: 'organization', key: 'h_tier', name: 'Tier', fieldType: 'enum', options: [1, 2, 3, 4].map((i) => ({ id: i, label: `Tier ${i}` })), isCustom: true },
    { entity: 'organization', key: 'h_segment', name: 'Segment', fieldType: 'varchar', options: null, isCustom: true },
    { entity: 'organization', key: 'h_contract_end', name: 'Contract end date', fieldType: 'date', options: null, isCustom: true },
    { entity: 'person', key: 'h_role', name: 'Stakeholder role', fieldType: 'enum', options: ['Decision maker', 'Champion', 'Influencer', 'User', 'Blocker'].map((label, i) => ({ id: 10 + i, label })), isCustom: true },
    { entity: 'person', key: 'h_strength', name: 'Relationship strength', fieldType: 'enum', options: ['Strong', 'Developing', 'Weak', 'At risk'].map((label, i) => ({ id: 20 + i, label })), isCustom: true },
    { entity: 'deal', key: 'h_service', name: 'Service line', fieldType: 'enum', options: [{ id: 30, label: 'Squad' }, { id: 31, label: 'Consulting' }], isCustom: true },
  ];

  const users = new Map<number, User>();
  for (let id = 1; id <= 200; id += 1) users.set(id, { id, name: `User ${id}`, email: `user${id}@exemplo.com.br`, active: id % 25 !== 0, isAdmin: id === 1 });
  users.set(999, { id: 999, name: 'Head of accounts', email: 'head.accounts@exemplo.com.br', active: true, isAdmin: true });

  const organizations = new Map<number, Organization>();
  for (let id = 1; id <= N_ORGS; id += 1) {
    const add = dateAt(int(DAYS_BACK));
    const custom: Record<string, unknown> = {};
    if (rnd() < 0.9) custom.h_segment = pick(['Retail', 'Banking', 'Health', 'Energy']);
    if (rnd() < 0.2) custom.h_tier = 1 + int(4);
    if (rnd() < 0.3) custom.h_contract_end = dates[int(dates.length)];
    organizations.set(id, {
      id,
      name: `Org ${id}`,
      ownerId: rnd() < 0.03 ? null : 1 + int(200),
      address: rnd() < 0.9 ? 'Av. Paulista 1000' : null,
      addTime: `${add}T12:00:00Z`,
      updateTime: `${add}T12:00:00Z`,
      isDeleted: rnd() < 0.01,
      customFields: custom,
    });
  }

  const persons = new Map<number, Person>();
  for (let id = 1; id <= N_PERSONS; id += 1) {
    const custom: Record<string, unknown> = {};
    if (rnd() < 0.8) custom.h_role = 10 + int(5);
    if (rnd() < 0.8) custom.h_strength = 20 + int(4);
    persons.set(id, {
      id,
      name: `Person ${id}`,
      orgId: rnd() < 0.97 ? 1 + int(N_ORGS) : null,
      ownerId: 1 + int(200),
      emails: rnd() < 0.9 ? [`p${id}@cliente.com.br`] : [],
      phones: rnd() < 0.7 ? ['+55 11 91234-5678'] : [],
      addTime: '2024-01-01T00:00:00Z',
      updateTime: '2024-01-01T00:00:00Z',
      isDeleted: rnd() < 0.02,
      customFields: custom,
    });
  }

  const deals = new Map<number, Deal>();
  for (let id = 1; id <= N_DEALS; id += 1) {
    const r = rnd();
    const status = r < 0.3 ? 'open' : r < 0.75 ? 'won' : 'lost';
    const closed = stampAt(int(DAYS_BACK));
    deals.set(id, {
      id,
      title: rnd() < 0.03 ? `Squad ${id}` : `Project ${id}`,
      orgId: rnd() < 0.98 ? 1 + int(N_ORGS) : null,
      personId: 1 + int(N_PERSONS),
      ownerId: 1 + int(200),
      status,
      value: Math.round(rnd() * rnd() * 2_000_000),
      currency: rnd() < 0.9 ? 'BRL' : pick(['USD', 'EUR', 'JPY']),
      wonTime: status === 'won' ? closed : null,
      lostTime: status === 'lost' ? closed : null,
      expectedCloseDate: rnd() < 0.8 ? dates[int(dates.length)]! : null,
      labelIds: noParticipants,
      addTime: closed,
      updateTime: closed,
      isDeleted: rnd() < 0.01,
      customFields: rnd() < 0.7 ? { h_service: pick([30, 31]) } : {},
      isArchived: false,
    });
  }

  const activities = new Map<number, Activity>();
  for (let id = 1; id <= N_ACTIVITIES; id += 1) {
    // Activities mostly hang off an organization, else off a deal or a person of one.
    const orgId = 1 + int(N_ORGS);
    const link = rnd();
    const pid = rnd() < 0.6 ? 1 + int(N_PERSONS) : null;
    const daysAgo = Math.floor(rnd() * rnd() * DAYS_BACK) - 20; // skewed to recent, a few in the future
    const done = daysAgo >= 0 ? rnd() < 0.9 : false;
    const due = dateAt(Math.max(-30, daysAgo));
    activities.set(id, {
      id,
      subject: pick(subjects),
      type: pick(types),
      ownerId: 1 + int(200),
      orgId: link < 0.7 ? orgId : null,
      dealId: link >= 0.7 && link < 0.85 ? 1 + int(N_DEALS) : null,
      personId: pid,
      participantPersonIds: pid === null ? noParticipants : [pid],
      done,
      dueDate: due,
      dueTime: rnd() < 0.5 ? times[int(96)]! : null,
      markedAsDoneTime: done ? stampAt(Math.max(0, daysAgo - int(3))) : null,
      addTime: stampAt(Math.max(0, daysAgo)),
      updateTime: stampAt(Math.max(0, daysAgo)),
      isDeleted: rnd() < 0.02,
      cadenceKey: null,
    });
  }
  const activityTypes = [...new Set(types)].map((keyString, i) => ({ id: i + 1, name: keyString, keyString, active: true, isCustom: false }));
  return { companyId: 'bench', organizations, persons, deals, activities, users, activityTypes, fields };
}
