/**
 * Builders for rules tests: the shipped policy, a small field catalogue that matches its field names,
 * and records with sensible defaults so each test states only what it is about.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePolicy } from '../../../src/config/load-config.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { Activity, Deal, FieldDefinition, MirrorSnapshot, Organization, Person, User } from '../../../src/domain/entities.js';
import type { RulesClock } from '../../../src/rules/types.js';
import { mulberry32 } from '../../../sandbox/prng.js';

const policyPath = fileURLToPath(new URL('../../../config/policy.yaml', import.meta.url));
const shipped = parsePolicy(readFileSync(policyPath, 'utf8'), 'config/policy.yaml');

/** A fresh copy of the shipped policy, optionally adjusted. */
export function policy(adjust?: (p: Policy) => void): Policy {
  const p = structuredClone(shipped);
  adjust?.(p);
  return p;
}

/** Custom-field keys (40-char hashes in real accounts). */
export const F = {
  tier: 'f_org_tier',
  segment: 'f_org_segment',
  contractEnd: 'f_org_contract_end',
  role: 'f_person_role',
  strength: 'f_person_strength',
  serviceLine: 'f_deal_service_line',
  nps: 'f_org_nps',
  npsDate: 'f_org_nps_date',
  sponsor: 'f_org_sponsor',
  planReviewed: 'f_org_plan_reviewed',
} as const;

export const TIER_OPT = { 'Tier 1': 11, 'Tier 2': 12, 'Tier 3': 13, 'Tier 4': 14, Unassigned: 19 } as const;
export const ROLE = { 'Decision maker': 21, Champion: 22, Influencer: 23, User: 24, Blocker: 25 } as const;
export const STRENGTH = { Strong: 31, Developing: 32, Weak: 33, 'At risk': 34 } as const;
export const SERVICE = { Squad: 41, Consulting: 42 } as const;

const opts = (o: Record<string, number>) => Object.entries(o).map(([label, id]) => ({ id, label }));

export const FIELDS: FieldDefinition[] = [
  { entity: 'organization', key: F.tier, name: 'Tier', fieldType: 'enum', options: opts(TIER_OPT), isCustom: true },
  { entity: 'organization', key: F.segment, name: 'Segment', fieldType: 'varchar', options: null, isCustom: true },
  { entity: 'organization', key: F.contractEnd, name: 'Contract end date', fieldType: 'date', options: null, isCustom: true },
  { entity: 'organization', key: 'address', name: 'Address', fieldType: 'address', options: null, isCustom: false },
  { entity: 'organization', key: F.nps, name: 'NPS', fieldType: 'double', options: null, isCustom: true },
  { entity: 'organization', key: F.npsDate, name: 'NPS date', fieldType: 'date', options: null, isCustom: true },
  { entity: 'organization', key: F.sponsor, name: 'Executive sponsor', fieldType: 'user', options: null, isCustom: true },
  { entity: 'organization', key: F.planReviewed, name: 'Account plan reviewed', fieldType: 'date', options: null, isCustom: true },
  { entity: 'person', key: F.role, name: 'Stakeholder role', fieldType: 'enum', options: opts(ROLE), isCustom: true },
  { entity: 'person', key: F.strength, name: 'Relationship strength', fieldType: 'enum', options: opts(STRENGTH), isCustom: true },
  { entity: 'deal', key: F.serviceLine, name: 'Service line', fieldType: 'enum', options: opts(SERVICE), isCustom: true },
  { entity: 'deal', key: 'expected_close_date', name: 'Expected close date', fieldType: 'date', options: null, isCustom: false },
];

export const OWNER = 5;
export const FALLBACK = 9;

export function user(over: Partial<User> & { id: number }): User {
  return { name: `User ${over.id}`, email: `user${over.id}@exemplo.com.br`, active: true, isAdmin: false, ...over };
}

export const USERS: User[] = [
  user({ id: OWNER, name: 'Ana Owner', email: 'ana@exemplo.com.br' }),
  user({ id: 6, name: 'Bruno' }),
  user({ id: 7, name: 'Carla' }),
  user({ id: 8, name: 'Davi (left)', active: false }),
  user({ id: FALLBACK, name: 'Head of accounts', email: 'head.accounts@exemplo.com.br', isAdmin: true }),
];

/**
 * The §10.5 fields of a well-kept client: a promoter's score and a plan review in early March 2026 (the
 * rules tests' usual today is 2026-03-10) and an active executive sponsor.
 */
export const CARED_FOR = { [F.nps]: 9, [F.npsDate]: '2026-03-01', [F.sponsor]: 7, [F.planReviewed]: '2026-03-01' } as const;

/** A complete organization: owner, address, segment and tier field set, so data quality is clean. */
export function org(over: Partial<Organization> & { id: number }): Organization {
  return {
    name: `Org ${over.id}`,
    ownerId: OWNER,
    address: 'Av. Paulista 1000, São Paulo',
    addTime: '2025-01-01T12:00:00Z',
    updateTime: '2025-01-01T12:00:00Z',
    isDeleted: false,
    ...over,
    customFields: { [F.segment]: 'Retail', ...CARED_FOR, ...over.customFields },
  };
}

/** A complete person of an organization (e-mail, phone, role Influencer, strength Strong). */
export function person(over: Partial<Person> & { id: number }): Person {
  return {
    name: `Person ${over.id}`,
    orgId: null,
    ownerId: OWNER,
    emails: [`p${over.id}@cliente.com.br`],
    phones: ['+55 11 91234-5678'],
    addTime: '2025-01-01T12:00:00Z',
    updateTime: '2025-01-01T12:00:00Z',
    isDeleted: false,
    ...over,
    customFields: { [F.role]: ROLE.Influencer, [F.strength]: STRENGTH.Strong, ...over.customFields },
  };
}

export function deal(over: Partial<Deal> & { id: number }): Deal {
  return {
    title: `Deal ${over.id}`,
    orgId: null,
    personId: null,
    ownerId: OWNER,
    status: 'open',
    value: 1000,
    currency: 'BRL',
    wonTime: null,
    lostTime: null,
    expectedCloseDate: '2026-12-31',
    labelIds: [],
    addTime: '2025-01-01T12:00:00Z',
    updateTime: '2025-01-01T12:00:00Z',
    isDeleted: false,
    isArchived: false,
    ...over,
    customFields: { [F.serviceLine]: SERVICE.Consulting, ...over.customFields },
  };
}

/** A won deal: `won` is the won instant (ISO) or date (noon UTC). */
export function wonDeal(over: Partial<Deal> & { id: number; won: string }): Deal {
  const { won, ...rest } = over;
  const wonTime = won.length === 10 ? `${won}T15:00:00Z` : won;
  return deal({ status: 'won', wonTime, ...rest });
}

/** A done call on a date (all-day), linked to the organization. */
export function activity(over: Partial<Activity> & { id: number }): Activity {
  return {
    subject: 'Check-in',
    type: 'call',
    ownerId: OWNER,
    orgId: null,
    dealId: null,
    personId: null,
    participantPersonIds: [],
    done: true,
    dueDate: null,
    dueTime: null,
    markedAsDoneTime: null,
    addTime: '2025-01-01T12:00:00Z',
    updateTime: '2025-01-01T12:00:00Z',
    isDeleted: false,
    cadenceKey: null,
    ...over,
  };
}

/** A done touchpoint of `type` on the all-day due date `date`, marked done that evening. */
export function touch(id: number, orgId: number, date: string, over: Partial<Activity> = {}): Activity {
  return activity({ id, orgId, dueDate: date, markedAsDoneTime: `${date}T21:00:00Z`, ...over });
}

export interface SnapshotParts {
  orgs?: Organization[];
  persons?: Person[];
  deals?: Deal[];
  activities?: Activity[];
  users?: User[];
  fields?: FieldDefinition[];
}

const byId = <T extends { id: number }>(xs: readonly T[]) => new Map(xs.map((x) => [x.id, x]));

export function snapshot(parts: SnapshotParts): MirrorSnapshot {
  return {
    companyId: 'test',
    organizations: byId(parts.orgs ?? []),
    persons: byId(parts.persons ?? []),
    deals: byId(parts.deals ?? []),
    activities: byId(parts.activities ?? []),
    users: byId(parts.users ?? USERS),
    activityTypes: [],
    fields: parts.fields ?? FIELDS,
  };
}

/** Noon in São Paulo (15:00 UTC) on `date`, unless a full instant is given. */
export function clock(at: string, timeZone = 'America/Sao_Paulo'): RulesClock {
  return { now: new Date(at.length === 10 ? `${at}T15:00:00Z` : at), timeZone };
}

/** Calendar date `n` days after (negative: before) `date`. */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** Small deterministic PRNG (mulberry32) for property tests. */
export const seeded = mulberry32;
