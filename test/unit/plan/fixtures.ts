/** Hand-built RulesResult / MirrorSnapshot fixtures for the planner tests. */
import { readFileSync } from 'node:fs';
import { parsePolicy } from '../../../src/config/load-config.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { Activity, Deal, FieldDefinition, MirrorSnapshot, Organization, User } from '../../../src/domain/entities.js';
import { flagFieldSpecs } from '../../../src/plan/flag-fields.js';
import type { CadenceResult, OrgAssessment, RulesResult } from '../../../src/rules/types.js';
import type { Locale } from '../../../src/i18n/locales.js';

export const TODAY = '2026-03-12'; // a Thursday
export const NOW = '2026-03-12T15:00:00Z';
export const OWNER = 11;
export const FALLBACK = 99;
export const ESCALATION = 98;
export const INACTIVE = 13;

export function loadPolicy(locale: Locale = 'pt-BR', patch: (p: Policy) => Policy = (p) => p): Policy {
  const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
  return patch({ ...policy, locale });
}

/** Flag fields as `cadence setup` creates them, with option ids 100, 101, … per field. */
export function flagFieldDefs(policy: Policy): FieldDefinition[] {
  return flagFieldSpecs(policy).map((spec, i) => ({
    entity: 'organization',
    key: `flag${i}`.padEnd(40, '0'),
    name: spec.name,
    fieldType: spec.fieldType,
    options: spec.options ? spec.options.map((label, j) => ({ id: 100 * (i + 1) + j, label })) : null,
    isCustom: true,
  }));
}

export function fieldKey(policy: Policy, name: string): string {
  return flagFieldDefs(policy).find((f) => f.name === name)!.key;
}

export function optionId(policy: Policy, fieldName: string, label: string): number {
  return Number(
    flagFieldDefs(policy)
      .find((f) => f.name === fieldName)!
      .options!.find((o) => o.label === label)!.id,
  );
}

export function cadence(over: Partial<CadenceResult> & Pick<CadenceResult, 'ruleId'>): CadenceResult {
  const category = over.category ?? (over.ruleId === 'qbr' || over.ruleId === 'annual-planning' ? 'executive' : (over.ruleId as CadenceResult['category']));
  return {
    category,
    cadenceDays: 30,
    onGap: over.ruleId === 'operational' ? 'report' : 'create',
    applies: true,
    lastTouchpoint: { activityId: 500, date: '2026-01-30' },
    nextDueDate: '2026-03-01',
    gapDays: 11,
    daysSinceLast: 41,
    status: 'overdue',
    openScheduled: null,
    regularity: null,
    ...over,
  };
}

export function assessment(over: Partial<OrgAssessment> & Pick<OrgAssessment, 'orgId'>): OrgAssessment {
  return {
    name: `Org ${over.orgId}`,
    ownerId: OWNER,
    ownerActive: true,
    assigneeId: OWNER,
    tier: {
      level: 3, rule: 'revenue_tenure', revenue12m: 300_000, tenureYears: 2, detail: 'revenue', unconvertedCurrencies: [],
      params: { tier: 3, revenue: 300_000, currency: 'BRL', tenureYears: 2, minRevenue: 200_000, minTenureYears: 0 },
    },
    active: true,
    cadence: [],
    overallStatus: 'on_track',
    lastTouchpointDate: '2026-01-30',
    nextDueDate: '2026-03-01',
    engagement: { weeks: [], last4: 3, previous4: 5, trend: 'falling', breadth: 2 },
    findings: [],
    risks: [],
    health: { score: 80, parts: [] },
    contractEndDate: null,
    mainContactPersonId: 301,
    relevantOpenDealId: 401,
    ...over,
  };
}

export function rulesResult(orgs: OrgAssessment[], today = TODAY): RulesResult {
  return { now: NOW, today, timeZone: 'America/Sao_Paulo', organizations: orgs, otherFindings: [], engagementByTier: [], unresolvedFields: [] };
}

export function org(id: number, customFields: Record<string, unknown> = {}, over: Partial<Organization> = {}): Organization {
  return {
    id,
    name: `Org ${id}`,
    ownerId: OWNER,
    address: null,
    addTime: '2020-01-01T00:00:00Z',
    updateTime: '2026-01-01T00:00:00Z',
    isDeleted: false,
    customFields,
    ...over,
  };
}

export function activity(over: Partial<Activity> & Pick<Activity, 'id'>): Activity {
  return {
    subject: 'x',
    type: 'meeting',
    ownerId: OWNER,
    orgId: 1,
    dealId: null,
    personId: null,
    participantPersonIds: [],
    done: false,
    dueDate: '2026-03-02',
    dueTime: null,
    markedAsDoneTime: null,
    addTime: '2026-02-27T05:00:00Z',
    updateTime: '2026-02-27T05:00:00Z',
    isDeleted: false,
    cadenceKey: null,
    ...over,
  };
}

const user = (id: number, active = true): User => ({ id, name: `User ${id}`, email: `u${id}@example.com`, active, isAdmin: false });

export function snapshot(
  policy: Policy,
  { orgs = [] as Organization[], activities = [] as Activity[], fields, deals = [] as Deal[] }: { orgs?: Organization[]; activities?: Activity[]; fields?: FieldDefinition[]; deals?: Deal[] } = {},
): MirrorSnapshot {
  return {
    companyId: 'acme',
    organizations: new Map(orgs.map((o) => [o.id, o])),
    persons: new Map(),
    deals: new Map(deals.map((d) => [d.id, d])),
    activities: new Map(activities.map((a) => [a.id, a])),
    users: new Map([user(OWNER), user(FALLBACK), user(ESCALATION), user(INACTIVE, false)].map((u) => [u.id, u])),
    activityTypes: ['call', 'meeting', 'email', 'lunch', 'task'].map((k, i) => ({ id: i + 1, name: k, keyString: k, active: true, isCustom: false })),
    fields: fields ?? flagFieldDefs(policy),
  };
}

/** Current flag values that already match an assessment, so a test sees only the writes it cares about. */
export function matchingFlags(policy: Policy, a: OrgAssessment): Record<string, unknown> {
  const t = policy.texts[policy.locale];
  const f = policy.flags;
  return {
    [fieldKey(policy, f.cadenceStatus.name)]: optionId(policy, f.cadenceStatus.name, t.status[a.overallStatus]),
    [fieldKey(policy, f.lastTouchpoint.name)]: a.lastTouchpointDate,
    [fieldKey(policy, f.nextDue.name)]: a.nextDueDate,
    [fieldKey(policy, f.engagement4w.name)]: a.engagement.last4,
    [fieldKey(policy, f.engagementTrend.name)]: optionId(policy, f.engagementTrend.name, t.trend[a.engagement.trend]),
    [fieldKey(policy, f.dataQuality.name)]: optionId(policy, f.dataQuality.name, a.findings.length === 0 ? t.dataQuality.ok : t.dataQuality.issues),
    [fieldKey(policy, f.dataQualityIssues.name)]: a.findings.length,
    [fieldKey(policy, f.healthScore.name)]: a.health.score,
  };
}
