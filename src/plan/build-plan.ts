/**
 * The planner (docs/policy.md §5): from the rules' results and the mirror, the write-backs the worker wants —
 * follow-ups, renewal planning, escalations, cleared follow-ups to delete, and flag values that changed.
 * Pure: no IO, the clock and the run id come in. `apply` executes the plan idempotently.
 */
import type { Category, Policy, Templates } from '../config/policy-schema.js';
import { isArchivedDeal, type Activity, type MirrorSnapshot, type ActivityDraft } from '../domain/entities.js';
import { notice, type Notice } from '../i18n/notice.js';
import type { NoticeCode } from '../i18n/message-keys.js';
import type { CadenceResult, OrgAssessment, RulesResult } from '../rules/types.js';
import type { CreateActivity, Plan, PlannedWrite, SkipCode, UpdateOrgFlags } from './types.js';
import { addBusinessDays, daysBetween } from '../rules/calendar.js';
import {
  FLAG_NAMES,
  desiredFlagValues,
  displayCurrent,
  normalizeCurrent,
  resolveFlagFields,
  sameValue,
  shapeFlagValue,
  type FlagFields,
} from './flag-fields.js';
import { clearKey, escalationKey, flagsKey, followUpKey, parseFollowUpKey, renewalKey, accountPlanKey } from './keys.js';
import { escalationNote, followUpNote, renewalNote } from './notes.js';
import { isUntouched } from './untouched.js';
import { accountPlanFact, accountPlanReminderDue, planOrgExtras, type OrgExtrasContext } from './handover.js';
import type { MessageParams } from '../domain/vocabulary.js';
import { fillTemplate, formatDate } from '../i18n/texts.js';
import { bySeniority, reminderDecision, type ReportReason } from './reminders.js';

export interface BuildPlanInput {
  policy: Policy;
  result: RulesResult;
  snapshot: MirrorSnapshot;
  runId: string;
  companyId: string;
  now: Date | string;
  /** Resolved `policy.owners.escalationUser`; null when it could not be resolved (escalations are then skipped). */
  escalationUserId: number | null;
  /** Flag fields by flag; resolved from `snapshot.fields` by name when omitted. */
  flagFields?: FlagFields;
  /**
   * Resolved `policy.owners.fallbackUser`: used when an assessment's assignee is missing or is an inactive
   * user in the mirror (the rules already apply the fallback; this is the planner's second line).
   */
  fallbackUserId?: number | null;
}

type Skip = Plan['skipped'][number];
/** A notice the planner raises (deduplicated by code and params when the plan is assembled). */
interface Warning {
  code: NoticeCode;
  params: MessageParams;
}

/** What one planning step produced: its writes, the gaps it deliberately left, and its warnings. */
interface StepOutput {
  writes: PlannedWrite[];
  skipped: Skip[];
  warnings: Warning[];
}

function emptyOutput(): StepOutput {
  return { writes: [], skipped: [], warnings: [] };
}

/** What most clients' steps produce: nothing. Shared and read only (tens of thousands of clients a night). */
const NOTHING: StepOutput = Object.freeze({ writes: Object.freeze([]), skipped: Object.freeze([]), warnings: Object.freeze([]) }) as unknown as StepOutput;

function mergeInto(into: StepOutput, from: StepOutput): void {
  if (from.writes.length > 0) into.writes.push(...from.writes);
  if (from.skipped.length > 0) into.skipped.push(...from.skipped);
  if (from.warnings.length > 0) into.warnings.push(...from.warnings);
}

/** Every activity the worker created, as the mirror knows it. */
interface AutoActivities {
  /** By key: open, done and deleted (a key once used is never reused). */
  byKey: Map<string, Activity[]>;
  /** Open auto-created follow-ups, lowest id first. */
  openFollowUps: Activity[];
  /** The same, per client and rule carried (an activity that carries three rules is under each). */
  openByOrgRule: Map<string, Activity[]>;
  /**
   * The same per client, lowest id first: the cleared-gap step visits one client's activities only (scanning
   * every open follow-up of the company for every client was quadratic).
   */
  openByOrg: Map<number, Activity[]>;
}

/** Read-only facts every step needs, computed once per plan. */
interface PlanContext {
  policy: Policy;
  t: Templates;
  snapshot: MirrorSnapshot;
  runId: string;
  today: string;
  /** Due date of the activities created tonight without a lead time of their own (`followUp.dueInBusinessDays`). */
  dueDate: string;
  activeTypes: ReadonlySet<string>;
  auto: AutoActivities;
  fallbackUserId: number | null;
  escalationUserId: number | null;
  /** Due dates by lead time in business days (the rules' few lead times, computed once per plan). */
  dueByLead: Map<number, string>;
  /** Reasons of reported and not-applicable gaps, one string per rule, status, reason and tier (see reportedReason). */
  reportedReasons: Map<string, Map<number, string>>;
  /** The helpers handed to src/plan/handover.ts (set right after the context is built). */
  extras: ReturnType<typeof extrasContext>;
}

function isDealArchived(snapshot: MirrorSnapshot, dealId: number): boolean {
  const deal = snapshot.deals.get(dealId);
  return deal !== undefined && isArchivedDeal(deal);
}

export function buildPlan(input: BuildPlanInput): Plan {
  const { policy, result, snapshot } = input;
  const out = emptyOutput();
  const resolved = input.flagFields ? { fields: input.flagFields, missing: [] } : resolveFlagFields(policy, snapshot.fields);
  for (const m of resolved.missing) out.warnings.push({ code: 'flag_field_missing', params: { field: m.name, flag: m.flag } });
  const ctx: PlanContext = {
    policy,
    t: policy.texts[policy.locale],
    snapshot,
    runId: input.runId,
    today: result.today,
    dueDate: addBusinessDays(result.today, policy.followUp.dueInBusinessDays, policy.followUp),
    activeTypes: new Set(snapshot.activityTypes.filter((a) => a.active).map((a) => a.keyString)),
    auto: indexAutoActivities(snapshot),
    fallbackUserId: input.fallbackUserId ?? null,
    escalationUserId: input.escalationUserId,
    dueByLead: new Map(),
    reportedReasons: new Map(),
    extras: undefined as unknown as ReturnType<typeof extrasContext>,
  };
  ctx.extras = extrasContext(ctx);
  const orgs = [...result.organizations].sort((a, b) => a.orgId - b.orgId);
  /** Auto follow-ups whose gap is closed (deleted, left, or duplicates): never escalated. */
  const clearedIds = new Set<number>();
  for (const org of orgs) {
    const followUps = planFollowUps(ctx, org);
    mergeInto(out, followUps);
    mergeInto(out, planRenewal(ctx, org));
    mergeInto(out, planExtras(ctx, org, followUps.writes.length > 0 || ctx.auto.openByOrg.has(org.orgId)));
    const cleared = planClearedFollowUps(ctx, org);
    for (const id of cleared.clearedIds) clearedIds.add(id);
    mergeInto(out, cleared);
    const flags = flagDiff(policy, org, snapshot, resolved.fields);
    out.warnings.push(...flags.warnings);
    if (flags.write) out.writes.push(flags.write);
  }
  mergeInto(out, planEscalations(ctx, new Map(orgs.map((o) => [o.orgId, o])), clearedIds));
  return {
    companyId: input.companyId,
    runId: input.runId,
    now: typeof input.now === 'string' ? input.now : input.now.toISOString(),
    writes: out.writes,
    skipped: out.skipped,
    warnings: uniqueNotices(policy, out.warnings),
  };
}

/** Each notice once per run, not once per client, in the order first raised. */
function uniqueNotices(policy: Policy, warnings: readonly Warning[]): Notice[] {
  const byId = new Map<string, Notice>();
  for (const w of warnings) {
    const id = `${w.code}:${JSON.stringify(w.params)}`;
    if (!byId.has(id)) byId.set(id, notice(policy, w.code, w.params));
  }
  return [...byId.values()];
}

function indexAutoActivities(snapshot: MirrorSnapshot): AutoActivities {
  const byKey = new Map<string, Activity[]>();
  const openFollowUps: Activity[] = [];
  for (const a of snapshot.activities.values()) {
    if (!a.cadenceKey) continue;
    const list = byKey.get(a.cadenceKey) ?? [];
    list.push(a);
    byKey.set(a.cadenceKey, list);
    if (!a.done && !a.isDeleted && parseFollowUpKey(a.cadenceKey)) openFollowUps.push(a);
  }
  openFollowUps.sort((a, b) => a.id - b.id);
  const openByOrgRule = new Map<string, Activity[]>();
  const openByOrg = new Map<number, Activity[]>();
  for (const a of openFollowUps) {
    const k = parseFollowUpKey(a.cadenceKey!)!;
    for (const ruleId of k.ruleIds) {
      const id = `${k.orgId}:${ruleId}`;
      openByOrgRule.set(id, [...(openByOrgRule.get(id) ?? []), a]);
    }
    openByOrg.set(k.orgId, [...(openByOrg.get(k.orgId) ?? []), a]);
  }
  return { byKey, openFollowUps, openByOrgRule, openByOrg };
}

function skipOf(orgId: number, ruleId: string | null, code: SkipCode, reason: string, key?: string): Skip {
  return { orgId, ruleId, code, reason, ...(key !== undefined ? { key } : {}) };
}

/** The skip when an activity with this key was already created (open, done or deleted), else null. */
function alreadyCreated(ctx: PlanContext, orgId: number, ruleId: string | null, key: string): Skip | null {
  const a = ctx.auto.byKey.get(key)?.[0];
  if (!a) return null;
  const state = a.isDeleted ? 'was deleted in Pipedrive and is not recreated for the same window' : a.done ? 'is done' : 'is open';
  return skipOf(orgId, ruleId, 'already_created', `activity #${a.id} with key ${key} ${state}`, key);
}

/** The client's owner when active, else the fallback user (the rules apply it too; this is the second line). */
function assigneeOf(ctx: PlanContext, org: OrgAssessment): number | null {
  const candidate = org.assigneeId;
  if (candidate !== null && ctx.snapshot.users.get(candidate)?.active !== false) return candidate;
  return ctx.fallbackUserId;
}

/** Why an activity of this purpose cannot be created for the client (no assignee, unusable type), or null. */
function cannotCreate(ctx: PlanContext, orgId: number, ruleId: string | null, ownerId: number | null, type: string, key: string, what: string): StepOutput | null {
  if (ownerId === null) {
    return { writes: [], skipped: [skipOf(orgId, ruleId, 'no_assignee', `${what}no owner and no active fallback user`, key)], warnings: [{ code: 'no_assignee', params: {} }] };
  }
  if (!ctx.activeTypes.has(type)) {
    return {
      writes: [],
      skipped: [skipOf(orgId, ruleId, 'no_activity_type', `${what}activity type "${type}" is not available`, key)],
      warnings: [{ code: 'activity_type_unavailable', params: { type } }],
    };
  }
  return null;
}

function draft(ctx: PlanContext, org: OrgAssessment, ownerId: number, type: string, subject: string, note: string, dealId: number | null, dueDate = ctx.dueDate): ActivityDraft {
  return {
    subject,
    type,
    owner_id: ownerId,
    org_id: org.orgId,
    ...(dealId !== null ? { deal_id: dealId } : {}),
    ...(org.mainContactPersonId !== null ? { participants: [{ person_id: org.mainContactPersonId, primary: true }] } : {}),
    due_date: dueDate,
    done: false,
    note,
  };
}

/**
 * Step 1: one follow-up for the client's cadence gaps (docs/policy.md §10.4): every gap that may become an
 * activity tonight goes into one, named by the most senior rule, due after that rule's lead time.
 */
function planFollowUps(ctx: PlanContext, org: OrgAssessment): StepOutput {
  const out = emptyOutput();
  const due: CadenceResult[] = [];
  for (const cr of org.cadence) {
    if (cr.status === 'on_track') continue;
    const blocked = followUpBlocked(ctx, org, cr);
    if (blocked) out.skipped.push(blocked);
    else if (ctx.policy.cadenceRules[cr.ruleId]) due.push(cr); // the rules only emit policy rules
  }
  if (due.length === 0) return out;
  const gaps = bySeniority(ctx.policy, due);
  const senior = gaps[0]!;
  const key = followUpKey(org.orgId, gaps.map((g) => g.ruleId), senior.nextDueDate);
  const created = alreadyCreated(ctx, org.orgId, senior.ruleId, key);
  if (created) {
    out.skipped.push(...gaps.map((g) => ({ ...created, ruleId: g.ruleId })));
    return out;
  }
  const ownerId = assigneeOf(ctx, org);
  const cannot = cannotCreate(ctx, org.orgId, senior.ruleId, ownerId, ctx.policy.cadenceRules[senior.ruleId]!.followUpType, key, '');
  if (cannot) {
    out.skipped.push(...gaps.slice(1).map((g) => ({ ...cannot.skipped[0]!, ruleId: g.ruleId })));
    mergeInto(out, cannot);
    return out;
  }
  out.writes.push(followUpWrite(ctx, org, gaps, key, ownerId!));
  return out;
}

/** Why a gap gets no follow-up (not applicable, report only, already scheduled, already created alone), or null. */
function followUpBlocked(ctx: PlanContext, org: OrgAssessment, cr: CadenceResult): Skip | null {
  if (!cr.applies) return skipOf(org.orgId, cr.ruleId, 'not_applicable', reportedReason(ctx, cr, null, org.tier.level));
  const decision = reminderDecision(ctx.policy, org, cr.ruleId);
  if (decision.mode === 'report') {
    return skipOf(org.orgId, cr.ruleId, decision.why === 'not_strategic' ? 'not_strategic' : 'report_only', reportedReason(ctx, cr, decision.why, org.tier.level));
  }
  const key = followUpKey(org.orgId, cr.ruleId, cr.nextDueDate);
  const ownAuto = ctx.auto.openByOrg.has(org.orgId) ? ctx.auto.openByOrgRule.get(`${org.orgId}:${cr.ruleId}`)?.[0] : undefined;
  if (cr.openScheduled || ownAuto) {
    const id = cr.openScheduled?.activityId ?? ownAuto!.id;
    return skipOf(org.orgId, cr.ruleId, 'already_scheduled', `open qualifying activity #${id} is already scheduled`, key);
  }
  return alreadyCreated(ctx, org.orgId, cr.ruleId, key);
}

/**
 * Why a gap is not applicable or only reported. The text depends on the rule, status, tier and reason only,
 * so one string per combination is shared by every such skip (tens of thousands a night, all kept in the plan).
 */
function reportedReason(ctx: PlanContext, cr: CadenceResult, why: ReportReason | null, tier: number): string {
  // Per rule, then by a number for status, reason and tier (tiers are 1–9): building a key string per skip cost more than the lookup.
  let byRule = ctx.reportedReasons.get(cr.ruleId);
  if (byRule === undefined) ctx.reportedReasons.set(cr.ruleId, (byRule = new Map()));
  const id = (STATUS_NO[cr.status] * 4 + WHY_NO[why ?? 'not_applicable']) * 10 + tier;
  let reason = byRule.get(id);
  if (reason === undefined) {
    if (why === null) reason = `rule ${cr.ruleId} is ${cr.status} but applies only to active clients`;
    else {
      const text =
        why === 'not_strategic'
          ? `tier ${tier} is not in reminders.createForTiers: the gap is flagged and reported, no activity`
          : why === 'tier_override'
            ? `tier ${tier} sets onGap: report for this rule`
            : 'the policy only reports it (onGap: report)';
      reason = `rule ${cr.ruleId} is ${cr.status}; ${text}`;
    }
    byRule.set(id, reason);
  }
  return reason;
}

const STATUS_NO: Readonly<Record<CadenceResult['status'], number>> = { on_track: 0, due_soon: 1, overdue: 2, never: 3 };
const WHY_NO: Readonly<Record<NonNullable<ReportReason> | 'not_applicable', number>> = { not_applicable: 0, tier_override: 1, rule_report: 2, not_strategic: 3 };

/** Why one gap is open, in the policy's words: status, last touchpoint of its category (or of any kind), cadence. */
function gapReason(ctx: PlanContext, org: OrgAssessment, cr: CadenceResult): string {
  const { policy, t, snapshot } = ctx;
  // A missed activity (open, past its due date) reopened this gap: the note says which and whose.
  const missedLine = cr.missed
    ? ` ${fillTemplate(t.noteMissed, {
        subject: cr.missed.subject,
        owner: (cr.missed.ownerId !== null ? snapshot.users.get(cr.missed.ownerId)?.name : undefined) ?? (cr.missed.ownerId !== null ? `#${cr.missed.ownerId}` : '—'),
        date: formatDate(policy.locale, cr.missed.dueDate),
        id: String(cr.missed.activityId),
      })}`
    : '';
  const fact = `${cadenceFact(policy, t, org, cr)}${missedLine}`;
  // "Never touched" beside a recent contact reads as false: a rule with no touchpoint of its category
  // says which category, with the client's last touchpoint of any kind.
  if (cr.status !== 'never') return `${t.status[cr.status]} — ${fact}`;
  return `${fact}${org.lastTouchpointDate ? ` (${fillTemplate(t.lastAnyTouchpoint, { date: formatDate(policy.locale, org.lastTouchpointDate) })})` : ''}`;
}

/** The cadence rule's label in the policy's language (its id when the policy no longer has it). */
function ruleLabel(policy: Policy, ruleId: string): string {
  return policy.cadenceRules[ruleId]?.label[policy.locale] ?? ruleId;
}

function followUpWrite(ctx: PlanContext, org: OrgAssessment, gaps: readonly CadenceResult[], key: string, ownerId: number): CreateActivity {
  const { policy, t } = ctx;
  const senior = gaps[0]!;
  const rule = policy.cadenceRules[senior.ruleId]!;
  const reasons = gaps.map((cr) => gapReason(ctx, org, cr));
  const lines = gaps.map((cr, i) => `${ruleLabel(policy, cr.ruleId)}: ${reasons[i]!}`);
  // One reminder per client per night (§10.4): an account-plan review due and not yet reminded of rides along.
  const plan = accountPlanReminderDue(policy, org);
  if (plan && !ctx.auto.byKey.has(accountPlanKey(org.orgId, plan.reviewedDate))) lines.push(`${t.report.purpose_account_plan ?? 'account plan'}: ${accountPlanFact(policy, org, plan.reviewedDate)}`);
  const subjectValues = { rule: ruleLabel(policy, senior.ruleId), tier: org.tier.level, org: org.name, days: senior.daysSinceLast ?? 0, category: categoryLabel(policy, senior.category) };
  const more = gaps.length > 1 ? fillTemplate(t.followUpSubjectMore, { count: gaps.length - 1 }, { locale: policy.locale }) : '';
  const subject = fillTemplate(senior.lastTouchpoint ? t.followUpSubject : t.followUpSubjectNever, subjectValues, { locale: policy.locale }) + more;
  const note = followUpNote(policy, org, { gaps: lines, checklist: rule.checklist }, { rule: ruleLabel(policy, senior.ruleId), reason: '', runId: ctx.runId, key });
  const dueDate = dueAfter(ctx, rule.leadBusinessDays ?? policy.followUp.dueInBusinessDays);
  return {
    kind: 'create_activity',
    key,
    purpose: 'follow_up',
    orgId: org.orgId,
    ruleId: senior.ruleId,
    ...(gaps.length > 1 ? { carries: gaps.map((g) => g.ruleId) } : {}),
    reason: gaps.length === 1 ? reasons[0]! : lines.join('; '),
    activity: draft(ctx, org, ownerId, rule.followUpType, subject, note, org.relevantOpenDealId, dueDate),
  };
}


/**
 * The planner's helpers for src/plan/handover.ts, built once per plan (not once per client: thousands of
 * clients a night): they report into `sink.out`, which planExtras points at each client's own output.
 */
function extrasContext(ctx: PlanContext): { extras: OrgExtrasContext; sink: { out: StepOutput } } {
  const sink = { out: emptyOutput() };
  const extras: OrgExtrasContext = {
    policy: ctx.policy,
    snapshot: ctx.snapshot,
    runId: ctx.runId,
    alreadyCreated: (orgId, ruleId, key) => {
      const skip = alreadyCreated(ctx, orgId, ruleId, key);
      if (skip) sink.out.skipped.push(skip);
      return skip !== null;
    },
    typeUsable: (type) => {
      if (!ctx.activeTypes.has(type)) sink.out.warnings.push({ code: 'activity_type_unavailable', params: { type } });
      return ctx.activeTypes.has(type);
    },
    assignee: (o) => assigneeOf(ctx, o),
    skip: (orgId, ruleId, code, reason, key) => sink.out.skipped.push(skipOf(orgId, ruleId, code, reason, key)),
    draft: (o, ownerId, type, subject, note, dealId) => draft(ctx, o, ownerId, type, subject, note, dealId),
    noAssignee: () => sink.out.warnings.push({ code: 'no_assignee', params: {} }),
    clientHasReminder: false,
  };
  return { extras, sink };
}

/** The business day `lead` business days after tonight (docs/policy.md §10.4), once per lead time. */
function dueAfter(ctx: PlanContext, lead: number): string {
  let due = ctx.dueByLead.get(lead);
  if (due === undefined) ctx.dueByLead.set(lead, (due = addBusinessDays(ctx.today, lead, ctx.policy.followUp)));
  return due;
}

/** Step 2b (docs/policy.md §10.5): the handover activity and the account-plan reminder (src/plan/handover.ts). */
function planExtras(ctx: PlanContext, org: OrgAssessment, clientHasReminder: boolean): StepOutput {
  if (!org.handover && !accountPlanReminderDue(ctx.policy, org)) return NOTHING; // planOrgExtras has nothing to do
  const { extras, sink } = ctx.extras;
  const out = emptyOutput();
  sink.out = out;
  extras.clientHasReminder = clientHasReminder;
  const writes = planOrgExtras(org, extras);
  out.writes.push(...writes);
  return out;
}

/** Step 2: renewal planning when the contract end date is within the window. */
function planRenewal(ctx: PlanContext, org: OrgAssessment): StepOutput {
  const { policy, t } = ctx;
  if (!org.contractEndDate) return NOTHING;
  const daysLeft = daysBetween(ctx.today, org.contractEndDate);
  if (daysLeft < 0 || daysLeft > policy.renewal.windowDays) return NOTHING;
  const key = renewalKey(org.orgId, org.contractEndDate);
  const created = alreadyCreated(ctx, org.orgId, null, key);
  if (created) return { writes: [], skipped: [created], warnings: [] };
  const ownerId = assigneeOf(ctx, org);
  const type = policy.renewal.activityType;
  const cannot = cannotCreate(ctx, org.orgId, null, ownerId, type, key, 'renewal planning: ');
  if (cannot) return cannot;
  const date = formatDate(policy.locale, org.contractEndDate);
  const fact = fillTemplate(t.renewalNote, { org: org.name, date });
  const subject = fillTemplate(t.renewalSubject, { org: org.name, date, days: daysLeft }, { locale: policy.locale });
  const note = renewalNote(policy, org, fact, { rule: t.provenanceRenewal, reason: subject, runId: ctx.runId, key });
  const write: CreateActivity = {
    kind: 'create_activity',
    key,
    purpose: 'renewal',
    orgId: org.orgId,
    ruleId: null,
    reason: subject,
    activity: draft(ctx, org, ownerId!, type, subject, note, org.relevantOpenDealId),
  };
  return { writes: [write], skipped: [], warnings: [] };
}

/** Why the gap of one carried rule is closed, or null while it is still open. */
function clearedWhy(org: OrgAssessment, ruleId: string): string | null {
  const cr = org.cadence.find((c) => c.ruleId === ruleId);
  if (!cr) return `rule ${ruleId} no longer applies to tier ${org.tier.level}`;
  if (!cr.applies) return `rule ${ruleId} no longer applies (client not active)`;
  return cr.status === 'on_track' ? `rule ${ruleId} is on track again` : null;
}

/**
 * Step 3: cleared follow-ups — every gap an activity the worker created carries closed before anyone worked
 * it; or a second open one for a rule another (lower id) already carries, left by a race.
 */
function planClearedFollowUps(ctx: PlanContext, org: OrgAssessment): StepOutput & { clearedIds: readonly number[] } {
  const open = ctx.auto.openByOrg.get(org.orgId);
  if (open === undefined) return NOTHING_CLEARED;
  const out = { ...emptyOutput(), clearedIds: [] as number[] };
  const keeperOf = new Map<string, number>(); // rule → the lowest open auto follow-up carrying it
  for (const a of open) {
    const { ruleId, ruleIds } = parseFollowUpKey(a.cadenceKey!)!;
    const shared = ruleIds.find((r) => keeperOf.has(r));
    for (const r of ruleIds) if (!keeperOf.has(r)) keeperOf.set(r, a.id);
    const reasons = ruleIds.map((r) => clearedWhy(org, r));
    const duplicate = shared !== undefined;
    if (!duplicate && reasons.some((r) => r === null)) continue;
    out.clearedIds.push(a.id);
    const why = duplicate ? `another auto-created follow-up (#${keeperOf.get(shared)!}) is already open for rule ${shared}` : reasons.join('; ');
    if (!isUntouched(a)) {
      out.skipped.push(skipOf(org.orgId, ruleId, 'cleared_touched', `activity #${a.id}: ${why}, but someone edited it; left in place`, a.cadenceKey!));
      continue;
    }
    if (ctx.policy.followUp.whenCleared === 'leave' && !duplicate) {
      out.skipped.push(skipOf(org.orgId, ruleId, 'cleared_left', `activity #${a.id}: ${why}; left in place (followUp.whenCleared: leave)`, a.cadenceKey!));
      continue;
    }
    out.writes.push({ kind: 'delete_activity', key: clearKey(a.id), orgId: org.orgId, activityId: a.id, reason: `${why}; untouched auto-created follow-up deleted` });
  }
  return out;
}

const NOTHING_CLEARED: StepOutput & { clearedIds: readonly number[] } = Object.freeze({ ...NOTHING, clearedIds: Object.freeze([]) as readonly number[] });

/** Step 5: escalations — an auto-created follow-up still open afterDays after its due date, once per follow-up. */
function planEscalations(ctx: PlanContext, byOrg: ReadonlyMap<number, OrgAssessment>, clearedIds: ReadonlySet<number>): StepOutput {
  const out = emptyOutput();
  for (const a of ctx.auto.openFollowUps) {
    if (clearedIds.has(a.id) || !a.dueDate) continue;
    const overdueDays = daysBetween(a.dueDate, ctx.today);
    if (overdueDays < ctx.policy.escalation.afterDays) continue;
    const parts = parseFollowUpKey(a.cadenceKey!)!;
    const org = byOrg.get(parts.orgId);
    if (!org) continue;
    const key = escalationKey(a.cadenceKey!);
    const created = alreadyCreated(ctx, org.orgId, parts.ruleId, key);
    if (created) {
      out.skipped.push(created);
      continue;
    }
    if (ctx.escalationUserId === null) {
      out.warnings.push({ code: 'no_escalation_user', params: {} });
      out.skipped.push(skipOf(org.orgId, parts.ruleId, 'no_escalation_user', `follow-up #${a.id} is ${overdueDays} days past due`, key));
      continue;
    }
    const type = ctx.policy.escalation.activityType;
    const cannot = cannotCreate(ctx, org.orgId, parts.ruleId, ctx.escalationUserId, type, key, 'escalation: ');
    if (cannot) {
      mergeInto(out, cannot);
      continue;
    }
    out.writes.push(escalationWrite(ctx, org, a, parts.ruleId, key, overdueDays));
  }
  return out;
}

function escalationWrite(ctx: PlanContext, org: OrgAssessment, a: Activity, ruleId: string, key: string, overdueDays: number): CreateActivity {
  const { policy, t, snapshot } = ctx;
  const ownerName = a.ownerId !== null ? (snapshot.users.get(a.ownerId)?.name ?? `#${a.ownerId}`) : '—';
  const fact = fillTemplate(t.escalationNote, { subject: a.subject, owner: ownerName, dueDate: formatDate(policy.locale, a.dueDate!), days: overdueDays }, { locale: policy.locale });
  const subject = fillTemplate(t.escalationSubject, { org: org.name, subject: a.subject, days: overdueDays }, { locale: policy.locale });
  return {
    kind: 'create_activity',
    key,
    purpose: 'escalation',
    orgId: org.orgId,
    ruleId,
    reason: fact,
    activity: {
      subject,
      type: policy.escalation.activityType,
      owner_id: ctx.escalationUserId!,
      org_id: org.orgId,
      // Never linked to an archived deal (not editable through the API; it is no longer worked).
      ...(a.dealId !== null && !isDealArchived(snapshot, a.dealId) ? { deal_id: a.dealId } : {}),
      ...(a.personId !== null ? { participants: [{ person_id: a.personId, primary: true }] } : {}),
      due_date: ctx.dueDate,
      done: false,
      note: escalationNote(policy, fact, { rule: fillTemplate(t.provenanceEscalation, { rule: policy.cadenceRules[ruleId]?.label[policy.locale] ?? ruleId }), reason: fact, runId: ctx.runId, key }),
    },
  };
}

/** The category's label as a word inside a sentence ("No strategic touchpoint", "Nenhum contato estratégico"). */
function categoryLabel(policy: Policy, category: Category): string {
  let byCategory = lowerCaseLabels.get(policy);
  if (byCategory === undefined) lowerCaseLabels.set(policy, (byCategory = new Map()));
  let lower = byCategory.get(category);
  if (lower === undefined) byCategory.set(category, (lower = policy.categories[category].label[policy.locale].toLocaleLowerCase(policy.locale)));
  return lower;
}
/** Category labels in lower case, per policy (not changed once parsed): toLocaleLowerCase costs more than the lookup. */
const lowerCaseLabels = new WeakMap<Policy, Map<Category, string>>();

/** The sentence that says why a follow-up exists (last touchpoint and the tier's cadence). */
function cadenceFact(policy: Policy, t: Templates, org: OrgAssessment, cr: CadenceResult): string {
  const common = { category: categoryLabel(policy, cr.category), tier: org.tier.level, cadenceDays: cr.cadenceDays };
  const options = { locale: policy.locale };
  if (!cr.lastTouchpoint) return fillTemplate(t.noteNoTouchpoint, common, options);
  return fillTemplate(t.noteLastTouchpoint, { ...common, date: formatDate(policy.locale, cr.lastTouchpoint.date), days: cr.daysSinceLast ?? 0 }, options);
}

function flagDiff(
  policy: Policy,
  org: OrgAssessment,
  snapshot: MirrorSnapshot,
  fields: FlagFields,
): { write: UpdateOrgFlags | null; warnings: Warning[] } {
  const current = snapshot.organizations.get(org.orgId)?.customFields ?? {};
  const desired = desiredFlagValues(policy, org);
  const customFields: Record<string, unknown> = {};
  const changes: UpdateOrgFlags['changes'] = [];
  const warnings: Warning[] = [];
  for (const flag of FLAG_NAMES) {
    const def = fields[flag];
    if (!def) continue;
    const shaped = shapeFlagValue(def, desired[flag]);
    if (!shaped.ok) {
      warnings.push({ code: shaped.problem.code, params: shaped.problem.params });
      continue;
    }
    const now = normalizeCurrent(def, current[def.key]);
    const want = normalizeCurrent(def, shaped.value);
    if (sameValue(now, want)) continue;
    customFields[def.key] = shaped.value;
    changes.push({ flag: def.name, from: displayCurrent(def, now), to: shaped.display });
  }
  if (changes.length === 0) return { write: null, warnings };
  return { write: { kind: 'update_org_flags', key: flagsKey(org.orgId, customFields), orgId: org.orgId, customFields, changes }, warnings };
}
