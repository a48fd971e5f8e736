/**
 * A small hand-made company for the report tests: owners, clients with hostile and non-Latin names,
 * findings of several kinds, cadence gaps, engagement trends, risks, and a plan with its outcomes.
 */
import { readFileSync } from 'node:fs';
import { parsePolicy } from '../../../src/config/load-config.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { Deal, MirrorSnapshot, Organization, Person, User } from '../../../src/domain/entities.js';
import { notice } from '../../../src/i18n/notice.js';
import type { Plan } from '../../../src/plan/types.js';
import type { ApplySummary } from '../../../src/apply/apply-plan.js';
import type { RunInfo } from '../../../src/report/report-schema.js';
import type { CadenceResult, Finding, OrgAssessment, RulesResult, WeekCount } from '../../../src/rules/types.js';

export const XSS_NAME = '<script>alert(1)</script>';
export const UNICODE_NAME = 'Ação & Cia — Ñandú 日本 "Ltda", filial';

export function loadShippedPolicy(overrides: Partial<Policy> = {}): Policy {
  const policy = parsePolicy(readFileSync(new URL('../../../config/policy.yaml', import.meta.url), 'utf8'), 'config/policy.yaml');
  return { ...policy, ...overrides };
}

const WEEKS = ['2026-W40', '2026-W41', '2026-W42', '2026-W43', '2026-W44', '2026-W45', '2026-W46', '2026-W47'];
const weeks = (counts: number[]): WeekCount[] => WEEKS.map((week, i) => ({ week, count: counts[i] ?? 0 }));
const T = '2025-01-01T00:00:00Z';

function org(id: number, name: string, ownerId: number | null): Organization {
  return { id, name, ownerId, address: null, addTime: T, updateTime: T, isDeleted: false, customFields: {} };
}
function person(id: number, name: string, orgId: number | null): Person {
  return { id, name, orgId, ownerId: null, emails: [], phones: [], addTime: T, updateTime: T, isDeleted: false, customFields: {} };
}
function deal(id: number, title: string, orgId: number | null): Deal {
  return {
    id, title, orgId, personId: null, ownerId: 2, status: 'open', value: 1000, currency: 'BRL', wonTime: null, lostTime: null,
    expectedCloseDate: null, labelIds: [], addTime: T, updateTime: T, isDeleted: false, customFields: {}, isArchived: false,
  };
}
const user = (id: number, name: string, active = true): User => ({ id, name, email: `u${id}@example.com`, active, isAdmin: false });

function cadence(ruleId: string, partial: Partial<CadenceResult>): CadenceResult {
  return {
    ruleId, category: ruleId === 'qbr' || ruleId === 'annual-planning' ? 'executive' : (ruleId as CadenceResult['category']),
    cadenceDays: 30, onGap: 'create', applies: true, lastTouchpoint: null, nextDueDate: null, gapDays: null, daysSinceLast: null,
    status: 'never', openScheduled: null, regularity: null, ...partial,
  };
}

function assessment(partial: Partial<OrgAssessment> & Pick<OrgAssessment, 'orgId' | 'name'>): OrgAssessment {
  return {
    ownerId: 2, ownerActive: true, assigneeId: 2,
    tier: {
      level: 1, rule: 'revenue_tenure', revenue12m: 0, tenureYears: 1, detail: 'revenue 0 BRL', unconvertedCurrencies: [],
      params: { tier: 1, revenue: 0, currency: 'BRL', tenureYears: 1, minRevenue: 0, minTenureYears: 0 },
    },
    active: true, cadence: [], overallStatus: 'on_track', lastTouchpointDate: null, nextDueDate: null,
    engagement: { weeks: weeks([]), last4: 0, previous4: 0, trend: 'stable', breadth: 0 },
    findings: [], risks: [], health: { score: 100, parts: [] }, contractEndDate: null, mainContactPersonId: null, relevantOpenDealId: null,
    ...partial,
  };
}

export interface Fixture {
  policy: Policy;
  snapshot: MirrorSnapshot;
  result: RulesResult;
  plan: Plan;
  applied: ApplySummary;
  run: RunInfo;
}

export function buildFixture(policy: Policy = loadShippedPolicy()): Fixture {
  const users = [user(1, 'Beatriz Souza'), user(2, 'João Ninguém'), user(3, 'Ex Funcionário', false)];
  const orgs = [org(10, XSS_NAME, 2), org(11, UNICODE_NAME, 1), org(12, 'Zeta Indústria', null), org(13, 'Alpha Serviços', 3)];
  const persons = [person(100, 'Maria "Mimi" Silva', 10), person(101, 'Ana <b>Bold</b>', 11), person(102, 'Órfã Sem Empresa', null)];
  const deals = [deal(200, 'Squad renewal, 2026', 11), deal(201, '=HYPERLINK("http://evil")', 12)];

  const f = (x: Partial<Finding> & Pick<Finding, 'entity' | 'entityId' | 'field' | 'problem'>): Finding => ({
    orgId: null, ownerId: null, detail: 'no value', params: { field: x.field }, ...x,
  });
  const orgA = assessment({
    orgId: 10, name: XSS_NAME, ownerId: 2, assigneeId: 2,
    tier: {
      level: 3, rule: 'explicit_field', revenue12m: 250000, tenureYears: 3, detail: 'Tier = "Tier 3"', unconvertedCurrencies: [],
      params: { tier: 3, field: 'Tier', label: 'Tier 3' },
    },
    cadence: [
      cadence('strategic', { status: 'overdue', gapDays: 12, daysSinceLast: 42, lastTouchpoint: { activityId: 500, date: '2026-10-09' }, nextDueDate: '2026-11-08' }),
      cadence('qbr', { status: 'never', cadenceDays: 90 }),
      cadence('operational', { status: 'overdue', applies: false, gapDays: 3, onGap: 'report' }),
    ],
    overallStatus: 'never', lastTouchpointDate: '2026-10-09', nextDueDate: '2026-11-08',
    engagement: { weeks: weeks([5, 4, 6, 5, 1, 0, 1, 0]), last4: 2, previous4: 20, trend: 'falling', breadth: 1 },
    findings: [
      f({ entity: 'organization', entityId: 10, orgId: 10, field: 'Segment', problem: 'missing', ownerId: 2 }),
      f({
        entity: 'person', entityId: 100, orgId: 10, field: 'Email', problem: 'invalid_email', detail: '1 of 2 e-mail(s) not valid', ownerId: 2,
        params: { field: 'Email' },
      }),
      f({
        entity: 'organization', entityId: 10, orgId: 10, field: 'Stakeholder role', problem: 'no_decision_maker', ownerId: 2,
        detail: 'Tier 3 client without a person whose Stakeholder role is Decision maker <script>x</script>',
        params: { field: 'Stakeholder role', tier: 3, roles: 'Decision maker <script>x</script>' },
      }),
    ],
    risks: [
      {
        kind: 'key_person_dependency', detail: '4 touchpoint(s) in 90 days reached only person #100', evidence: { personIds: [100] },
        params: { person: 'Maria "Mimi" Silva', touchpoints: 4, days: 90 },
      },
      {
        kind: 'falling_engagement', detail: '2 touchpoints in the last 4 weeks against 20 in the 4 before', evidence: {},
        params: { last4: 2, previous4: 20 },
      },
    ],
    health: {
      score: 41,
      parts: [
        { reason: 'overdue: strategic', points: 15, kind: 'overdue', params: { rule: 'strategic' } },
        { reason: 'never touched: qbr', points: 20, kind: 'never', params: { rule: 'qbr' } },
        { reason: 'risk: key_person_dependency', points: 8, kind: 'risk', params: { risk: 'key_person_dependency' } },
        { reason: 'data quality: 3 finding(s)', points: 6, kind: 'data_quality', params: { count: 3 } },
      ],
    },
    contractEndDate: '2027-03-31',
  });
  const orgB = assessment({
    orgId: 11, name: UNICODE_NAME, ownerId: 1, assigneeId: 1,
    tier: {
      level: 4, rule: 'revenue_tenure', revenue12m: 1500000, tenureYears: 7, unconvertedCurrencies: [],
      detail: '12-month won revenue 1,500,000 BRL, tenure 7 years since the first won deal (Tier 4 needs 1,000,000 and 5 years)',
      params: { tier: 4, revenue: 1500000, currency: 'BRL', tenureYears: 7, minRevenue: 1000000, minTenureYears: 5 },
    },
    cadence: [cadence('strategic', { status: 'overdue', gapDays: 30, cadenceDays: 14, lastTouchpoint: { activityId: 501, date: '2026-09-25' }, nextDueDate: '2026-10-09', openScheduled: { activityId: 777, dueDate: '2026-11-25', cadenceKey: null, ownerId: 1 } })],
    overallStatus: 'overdue', lastTouchpointDate: '2026-09-25', nextDueDate: '2026-10-09',
    engagement: { weeks: weeks([0, 1, 0, 1, 3, 4, 2, 5]), last4: 14, previous4: 2, trend: 'rising', breadth: 4 },
    findings: [f({ entity: 'person', entityId: 101, orgId: 11, field: 'Relationship strength', problem: 'missing_relationship_strength', ownerId: 1 })],
    health: { score: 70, parts: [] },
  });
  const orgC = assessment({
    orgId: 12, name: 'Zeta Indústria', ownerId: null, ownerActive: false, assigneeId: 1,
    findings: [
      f({ entity: 'organization', entityId: 12, orgId: 12, field: 'Owner', problem: 'no_owner', detail: 'the organization has no owner', ownerId: 1 }),
      f({
        entity: 'deal', entityId: 201, orgId: 12, field: 'Service line', problem: 'invalid_option', ownerId: 1,
        detail: 'not an option id: "999\nsecond line"', params: { field: 'Service line', value: '"999\nsecond line"' },
      }),
    ],
    overallStatus: 'due_soon', engagement: { weeks: weeks([1, 0, 0, 1, 0, 1, 0, 0]), last4: 1, previous4: 2, trend: 'stable', breadth: 1 },
  });
  const orgD = assessment({ orgId: 13, name: 'Alpha Serviços', ownerId: 3, ownerActive: false, assigneeId: 1, overallStatus: 'on_track' });

  const result: RulesResult = {
    now: '2026-11-20T13:00:00.000Z', today: '2026-11-20', timeZone: 'America/Sao_Paulo',
    organizations: [orgA, orgB, orgC, orgD],
    otherFindings: [f({ entity: 'person', entityId: 102, orgId: null, field: 'Phone', problem: 'missing', ownerId: null })],
    engagementByTier: [
      { tier: 1, weeks: weeks([1, 0, 0, 1, 0, 1, 0, 0]) },
      { tier: 3, weeks: weeks([5, 4, 6, 5, 1, 0, 1, 0]) },
      { tier: 4, weeks: weeks([0, 1, 0, 1, 3, 4, 2, 5]) },
    ],
    unresolvedFields: [{ entity: 'organization', name: 'Segment & <Sector>' }],
  };

  const plan: Plan = {
    companyId: 'acme', runId: 'run-2026-11-20', now: result.now,
    writes: [
      {
        kind: 'create_activity', key: 'fu:10:strategic:2026-11', purpose: 'follow_up', orgId: 10, ruleId: 'strategic',
        reason: 'FUP estratégico: 42 dias desde o último contato (Tier 3: a cada 30 dias)',
        activity: { subject: `FUP estratégico (Tier 3) — ${XSS_NAME}: 42 dias`, type: 'meeting', owner_id: 2, org_id: 10, due_date: '2026-11-23', done: false, note: '<p>note</p>' },
      },
      {
        kind: 'create_activity', key: 'renewal:10:2027-03-31', purpose: 'renewal', orgId: 10, ruleId: null,
        reason: 'contract ends 2027-03-31', activity: { subject: 'Planejar renovação', type: 'task', owner_id: 2, org_id: 10, due_date: '2026-11-23', done: false, note: '' },
      },
      { kind: 'delete_activity', key: 'fu:13:maintenance:2026-10', orgId: 13, activityId: 880, reason: 'gap cleared' },
      {
        kind: 'update_org_flags', key: 'flags:11', orgId: 11, customFields: { abc: 'x' },
        changes: [{ flag: 'Cadence status', from: null, to: 'Atrasado' }, { flag: 'Health score', from: 75, to: 70 }],
      },
    ],
    skipped: [{ orgId: 11, ruleId: 'strategic', reason: 'already scheduled: activity #777' }],
    warnings: [notice(policy, 'flag_field_missing', { field: 'Engagement trend', flag: 'engagementTrend' })],
  };
  const applied: ApplySummary = {
    companyId: 'acme', runId: 'run-2026-11-20', dryRun: false, firstApply: false, refused: null, aborted: null, planned: 4, maxWrites: 500,
    counts: { planned: 0, created: 1, adopted: 0, updated: 1, deleted: 1, already_done: 0, not_needed: 0, failed: 1, not_attempted: 0 },
    duplicatesRemoved: 0,
    results: [
      { key: 'fu:10:strategic:2026-11', kind: 'create_activity', orgId: 10, outcome: 'created', pipedriveId: 9001 },
      { key: 'renewal:10:2027-03-31', kind: 'create_activity', orgId: 10, outcome: 'failed', detail: '403 Forbidden: the token\'s user cannot add activities for <org>' },
      { key: 'fu:13:maintenance:2026-10', kind: 'delete_activity', orgId: 13, outcome: 'deleted', pipedriveId: 880 },
      { key: 'flags:11', kind: 'update_org_flags', orgId: 11, outcome: 'updated' },
    ],
  };
  const run: RunInfo = {
    startedAt: '2026-11-20T12:59:00.000Z', finishedAt: '2026-11-20T13:00:42.500Z', durationMs: 102_500,
    recordsSynced: { organization: 4, person: 3, deal: 2, activity: 120 },
    requests: 37, retries: 2, rate429: 1,
    warnings: ['activity type "lunch" is inactive'],
    malformed: [{ entity: 'deal', id: 999, field: 'value', message: 'expected a number, got "abc"' }],
    dryRun: false,
  };
  const snapshot: MirrorSnapshot = {
    companyId: 'acme',
    organizations: new Map(orgs.map((o) => [o.id, o])),
    persons: new Map(persons.map((p) => [p.id, p])),
    deals: new Map(deals.map((d) => [d.id, d])),
    activities: new Map(),
    users: new Map(users.map((u) => [u.id, u])),
    activityTypes: [],
    fields: [],
  };
  return { policy, snapshot, result, plan, applied, run };
}
