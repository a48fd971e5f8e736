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
import { clearKey, escalationKey, flagsKey, followUpKey, parseFollowUpKey, renewalKey } from './keys.js';
import { escalationNote, followUpNote, renewalNote } from './notes.js';
import { isUntouched } from './untouched.js';
import type { MessageParams } from '../domain/vocabulary.js';
import { fillTemplate, formatDate } from '../i18n/texts.js';

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

function isDealArchived(snapshot: MirrorSnapshot, dealId: number): boolean {
  const deal = snapshot.deals.get(dealId);
  return deal !== undefined && isArchivedDeal(deal);
}

export function buildPlan(input: BuildPlanInput): Plan {
  const { policy, result, snapshot, runId, companyId, escalationUserId } = input;
  const t = policy.texts[policy.locale];
  const today = result.today;
  const dueDate = addBusinessDays(today, policy.followUp.dueInBusinessDays, policy.followUp);
  const writes: PlannedWrite[] = [];
  const skipped: Skip[] = [];
  // Each notice once per run, not once per client.
  const warnings = new Map<string, Notice>();
  const warn = (code: NoticeCode, params: MessageParams = {}): void => {
    const id = `${code}:${JSON.stringify(params)}`;
    if (!warnings.has(id)) warnings.set(id, notice(policy, code, params));
  };

  const resolved = input.flagFields ? { fields: input.flagFields, missing: [] } : resolveFlagFields(policy, snapshot.fields);
  for (const m of resolved.missing) {
    warn('flag_field_missing', { field: m.name, flag: m.flag });
  }

  const activeTypes = new Set(snapshot.activityTypes.filter((a) => a.active).map((a) => a.keyString));
  const typeUsable = (type: string): boolean => {
    if (activeTypes.has(type)) return true;
    warn('activity_type_unavailable', { type });
    return false;
  };

  // Every auto-created activity the mirror knows, by key (open, done and deleted: a key once used is never reused).
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
  const openAutoByOrgRule = new Map<string, Activity[]>();
  // The same lists per client, in the order their first activity was created: step 3 visits one client's
  // lists only (scanning every open follow-up of the company for every client was quadratic).
  const openAutoByOrg = new Map<number, Array<{ ruleId: string; list: Activity[] }>>();
  for (const a of openFollowUps) {
    const k = parseFollowUpKey(a.cadenceKey!)!;
    const id = `${k.orgId}:${k.ruleId}`;
    const list = openAutoByOrgRule.get(id);
    if (list) {
      list.push(a);
      continue;
    }
    const fresh = [a];
    openAutoByOrgRule.set(id, fresh);
    const perOrg = openAutoByOrg.get(k.orgId) ?? [];
    perOrg.push({ ruleId: k.ruleId, list: fresh });
    openAutoByOrg.set(k.orgId, perOrg);
  }
  const existing = (key: string): Activity | undefined => byKey.get(key)?.[0];

  const orgs = [...result.organizations].sort((a, b) => a.orgId - b.orgId);
  const byOrg = new Map(orgs.map((o) => [o.orgId, o]));

  const assignee = (org: OrgAssessment): number | null => {
    const candidate = org.assigneeId;
    if (candidate !== null && snapshot.users.get(candidate)?.active !== false) return candidate;
    return input.fallbackUserId ?? null;
  };

  const draft = (org: OrgAssessment, ownerId: number, type: string, subject: string, note: string, dealId: number | null): ActivityDraft => ({
    subject,
    type,
    owner_id: ownerId,
    org_id: org.orgId,
    ...(dealId !== null ? { deal_id: dealId } : {}),
    ...(org.mainContactPersonId !== null ? { participants: [{ person_id: org.mainContactPersonId, primary: true }] } : {}),
    due_date: dueDate,
    done: false,
    note,
  });

  const skip = (orgId: number, ruleId: string | null, code: SkipCode, reason: string, key?: string): void => {
    skipped.push({ orgId, ruleId, code, reason, ...(key !== undefined ? { key } : {}) });
  };

  const alreadyCreated = (orgId: number, ruleId: string | null, key: string): boolean => {
    const a = existing(key);
    if (!a) return false;
    const state = a.isDeleted ? 'was deleted in Pipedrive and is not recreated for the same window' : a.done ? 'is done' : 'is open';
    skip(orgId, ruleId, 'already_created', `activity #${a.id} with key ${key} ${state}`, key);
    return true;
  };

  /** Auto follow-ups whose gap is closed (deleted, left, or duplicates): never escalated. */
  const clearedIds = new Set<number>();

  for (const org of orgs) {
    const rulePlans: PlannedWrite[] = [];
    // 1. Follow-ups for cadence gaps.
    for (const cr of org.cadence) {
      if (cr.status === 'on_track') continue;
      const key = followUpKey(org.orgId, cr.ruleId, cr.nextDueDate);
      if (!cr.applies) {
        skip(org.orgId, cr.ruleId, 'not_applicable', `rule ${cr.ruleId} is ${cr.status} but applies only to active clients`);
        continue;
      }
      if (cr.onGap === 'report') {
        skip(org.orgId, cr.ruleId, 'report_only', `rule ${cr.ruleId} is ${cr.status}; the policy only reports it (onGap: report)`);
        continue;
      }
      const ownAuto = openAutoByOrgRule.get(`${org.orgId}:${cr.ruleId}`)?.[0];
      if (cr.openScheduled || ownAuto) {
        const id = cr.openScheduled?.activityId ?? ownAuto!.id;
        skip(org.orgId, cr.ruleId, 'already_scheduled', `open qualifying activity #${id} is already scheduled`, key);
        continue;
      }
      if (alreadyCreated(org.orgId, cr.ruleId, key)) continue;
      const rule = policy.cadenceRules[cr.ruleId];
      if (!rule) continue; // the rules only emit policy rules; nothing sensible to create otherwise
      const ownerId = assignee(org);
      if (ownerId === null) {
        warn('no_assignee');
        skip(org.orgId, cr.ruleId, 'no_assignee', 'no owner and no active fallback user', key);
        continue;
      }
      if (!typeUsable(rule.followUpType)) {
        skip(org.orgId, cr.ruleId, 'no_activity_type', `activity type "${rule.followUpType}" is not available`, key);
        continue;
      }
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
      const reason =
        cr.status === 'never'
          ? `${fact}${org.lastTouchpointDate ? ` (${fillTemplate(t.lastAnyTouchpoint, { date: formatDate(policy.locale, org.lastTouchpointDate) })})` : ''}`
          : `${t.status[cr.status]} — ${fact}`;
      const subjectValues = { rule: rule.label[policy.locale], tier: org.tier.level, org: org.name, days: cr.daysSinceLast ?? 0, category: categoryLabel(policy, cr.category) };
      const subject = fillTemplate(cr.lastTouchpoint ? t.followUpSubject : t.followUpSubjectNever, subjectValues);
      const note = followUpNote(policy, org, fact, { rule: cr.ruleId, reason, runId, key });
      const write: CreateActivity = {
        kind: 'create_activity',
        key,
        purpose: 'follow_up',
        orgId: org.orgId,
        ruleId: cr.ruleId,
        reason,
        activity: draft(org, ownerId, rule.followUpType, subject, note, org.relevantOpenDealId),
      };
      rulePlans.push(write);
    }

    // 2. Renewal planning when the contract end date is within the window.
    if (org.contractEndDate) {
      const daysLeft = daysBetween(today, org.contractEndDate);
      if (daysLeft >= 0 && daysLeft <= policy.renewal.windowDays) {
        const key = renewalKey(org.orgId, org.contractEndDate);
        if (!alreadyCreated(org.orgId, null, key)) {
          const ownerId = assignee(org);
          const type = policy.renewal.activityType;
          if (ownerId === null) {
            warn('no_assignee');
            skip(org.orgId, null, 'no_assignee', 'renewal planning: no owner and no active fallback user', key);
          } else if (!typeUsable(type)) {
            skip(org.orgId, null, 'no_activity_type', `renewal planning: activity type "${type}" is not available`, key);
          } else {
            const date = formatDate(policy.locale, org.contractEndDate);
            const fact = fillTemplate(t.renewalNote, { org: org.name, date });
            const subject = fillTemplate(t.renewalSubject, { org: org.name, date, days: daysLeft });
            rulePlans.push({
              kind: 'create_activity',
              key,
              purpose: 'renewal',
              orgId: org.orgId,
              ruleId: null,
              reason: subject,
              activity: draft(org, ownerId, type, subject, renewalNote(policy, org, fact, { rule: 'renewal', reason: subject, runId, key }), org.relevantOpenDealId),
            });
          }
        }
      }
    }

    // 3. Cleared follow-ups: the gap closed before anyone worked the activity the worker created.
    for (const { ruleId, list } of openAutoByOrg.get(org.orgId) ?? []) {
      const cr = org.cadence.find((c) => c.ruleId === ruleId);
      const cleared = !cr || !cr.applies || cr.status === 'on_track';
      list.forEach((a, i) => {
        // A second open auto follow-up for the same client and rule (left by a race) is never wanted.
        const duplicate = i > 0;
        if (!cleared && !duplicate) return;
        clearedIds.add(a.id);
        const why = duplicate
          ? `another auto-created follow-up (#${list[0]!.id}) is already open for rule ${ruleId}`
          : !cr
            ? `rule ${ruleId} no longer applies to tier ${org.tier.level}`
            : !cr.applies
              ? `rule ${ruleId} no longer applies (client not active)`
              : `rule ${ruleId} is on track again`;
        if (!isUntouched(a)) {
          skip(org.orgId, ruleId, 'cleared_touched', `activity #${a.id}: ${why}, but someone edited it; left in place`, a.cadenceKey!);
          return;
        }
        if (policy.followUp.whenCleared === 'leave' && !duplicate) {
          skip(org.orgId, ruleId, 'cleared_left', `activity #${a.id}: ${why}; left in place (followUp.whenCleared: leave)`, a.cadenceKey!);
          return;
        }
        rulePlans.push({ kind: 'delete_activity', key: clearKey(a.id), orgId: org.orgId, activityId: a.id, reason: `${why}; untouched auto-created follow-up deleted` });
      });
    }

    writes.push(...rulePlans);

    // 4. Flags: only the values that changed.
    const flags = flagDiff(policy, org, snapshot, resolved.fields, warn);
    if (flags) writes.push(flags);
  }

  // 5. Escalations: an auto-created follow-up still open afterDays after its due date, once per follow-up.
  for (const a of openFollowUps) {
    if (clearedIds.has(a.id) || !a.dueDate) continue;
    const overdueDays = daysBetween(a.dueDate, today);
    if (overdueDays < policy.escalation.afterDays) continue;
    const parts = parseFollowUpKey(a.cadenceKey!)!;
    const org = byOrg.get(parts.orgId);
    if (!org) continue;
    const key = escalationKey(a.cadenceKey!);
    if (alreadyCreated(org.orgId, parts.ruleId, key)) continue;
    if (escalationUserId === null) {
      warn('no_escalation_user');
      skip(org.orgId, parts.ruleId, 'no_escalation_user', `follow-up #${a.id} is ${overdueDays} days past due`, key);
      continue;
    }
    const type = policy.escalation.activityType;
    if (!typeUsable(type)) {
      skip(org.orgId, parts.ruleId, 'no_activity_type', `escalation: activity type "${type}" is not available`, key);
      continue;
    }
    const ownerName = a.ownerId !== null ? (snapshot.users.get(a.ownerId)?.name ?? `#${a.ownerId}`) : '—';
    const fact = fillTemplate(t.escalationNote, { subject: a.subject, owner: ownerName, dueDate: formatDate(policy.locale, a.dueDate), days: overdueDays });
    const subject = fillTemplate(t.escalationSubject, { org: org.name, subject: a.subject, days: overdueDays });
    const ruleLabel = `escalation:${parts.ruleId}`;
    writes.push({
      kind: 'create_activity',
      key,
      purpose: 'escalation',
      orgId: org.orgId,
      ruleId: parts.ruleId,
      reason: fact,
      activity: {
        subject,
        type,
        owner_id: escalationUserId,
        org_id: org.orgId,
        // Never linked to an archived deal (not editable through the API; it is no longer worked).
        ...(a.dealId !== null && !isDealArchived(snapshot, a.dealId) ? { deal_id: a.dealId } : {}),
        ...(a.personId !== null ? { participants: [{ person_id: a.personId, primary: true }] } : {}),
        due_date: dueDate,
        done: false,
        note: escalationNote(policy, fact, { rule: ruleLabel, reason: fact, runId, key }),
      },
    });
  }

  return {
    companyId,
    runId,
    now: typeof input.now === 'string' ? input.now : input.now.toISOString(),
    writes,
    skipped,
    warnings: [...warnings.values()],
  };
}

/** The category's label as a word inside a sentence ("No strategic touchpoint", "Nenhum contato estratégico"). */
function categoryLabel(policy: Policy, category: Category): string {
  return policy.categories[category].label[policy.locale].toLocaleLowerCase(policy.locale);
}

/** The sentence that says why a follow-up exists (last touchpoint and the tier's cadence). */
function cadenceFact(policy: Policy, t: Templates, org: OrgAssessment, cr: CadenceResult): string {
  const common = { category: categoryLabel(policy, cr.category), tier: org.tier.level, cadenceDays: cr.cadenceDays };
  if (!cr.lastTouchpoint) return fillTemplate(t.noteNoTouchpoint, common);
  return fillTemplate(t.noteLastTouchpoint, { ...common, date: formatDate(policy.locale, cr.lastTouchpoint.date), days: cr.daysSinceLast ?? 0 });
}

function flagDiff(
  policy: Policy,
  org: OrgAssessment,
  snapshot: MirrorSnapshot,
  fields: FlagFields,
  warn: (code: NoticeCode, params: MessageParams) => void,
): UpdateOrgFlags | null {
  const current = snapshot.organizations.get(org.orgId)?.customFields ?? {};
  const desired = desiredFlagValues(policy, org);
  const customFields: Record<string, unknown> = {};
  const changes: UpdateOrgFlags['changes'] = [];
  for (const flag of FLAG_NAMES) {
    const def = fields[flag];
    if (!def) continue;
    const shaped = shapeFlagValue(def, desired[flag]);
    if (!shaped.ok) {
      warn(shaped.problem.code, shaped.problem.params);
      continue;
    }
    const now = normalizeCurrent(def, current[def.key]);
    const want = normalizeCurrent(def, shaped.value);
    if (sameValue(now, want)) continue;
    customFields[def.key] = shaped.value;
    changes.push({ flag: def.name, from: displayCurrent(def, now), to: shaped.display });
  }
  if (changes.length === 0) return null;
  return { kind: 'update_org_flags', key: flagsKey(org.orgId, customFields), orgId: org.orgId, customFields, changes };
}
