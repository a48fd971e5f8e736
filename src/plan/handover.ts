/**
 * The planner's part of docs/policy.md §10.5, per client:
 *
 * - **Handover**: when the rules saw the owner change between nights (`org.handover`), one activity for the
 *   new owner carrying the client's history: the last touchpoints, the open deals, the open risks and the
 *   stakeholders. Its key names the handover (client, night compared with, new owner), so it is created once
 *   whatever the nights that follow do.
 * - **Account-plan review**: for clients from `accountCare.accountPlan.reminderMinTier` up whose plan review
 *   is due (`org.accountPlanDue`), one reminder per review window (the key names the last review date).
 *
 * Called by buildPlan for each client with the planner's own helpers, so the checks (already created, no
 * assignee, unusable activity type) read and report the same as for follow-ups. Pure.
 */
import type { Policy } from '../config/policy-schema.js';
import type { ActivityDraft, MirrorSnapshot } from '../domain/entities.js';
import { escapeHtml, fillTemplate, formatDate } from '../i18n/texts.js';
import type { HandoverFacts, OrgAssessment } from '../rules/types.js';
import { accountPlanKey, handoverKey } from './keys.js';
import { provenanceBlock, risksLine } from './notes.js';
import type { CreateActivity, SkipCode } from './types.js';

export interface OrgExtrasContext {
  policy: Policy;
  snapshot: MirrorSnapshot;
  runId: string;
  alreadyCreated(orgId: number, ruleId: string | null, key: string): boolean;
  typeUsable(type: string): boolean;
  assignee(org: OrgAssessment): number | null;
  skip(orgId: number, ruleId: string | null, code: SkipCode, reason: string, key?: string): void;
  draft(org: OrgAssessment, ownerId: number, type: string, subject: string, note: string, dealId: number | null): ActivityDraft;
  /** Says once per run that some client has no active owner nor fallback user. */
  noAssignee(): void;
  /**
   * The client has a reminder tonight (or an open one): one reminder per client per night (docs/policy.md
   * §10.4), so the account-plan review goes into that reminder's note instead of an activity of its own.
   */
  clientHasReminder?: boolean;
}

/** The handover activity and the account-plan reminder the client needs tonight (none, one or both). */
export function planOrgExtras(org: OrgAssessment, ctx: OrgExtrasContext): CreateActivity[] {
  const out: CreateActivity[] = [];
  if (org.handover) pushIfPlanned(out, org, ctx, 'handover', handoverKey(org.orgId, org.handover.since, org.handover.toOwnerId), ctx.policy.handover.activityType, (key) => handoverTexts(org, org.handover!, ctx, key));
  const due = accountPlanReminderDue(ctx.policy, org);
  if (due) {
    const key = accountPlanKey(org.orgId, due.reviewedDate);
    if (ctx.clientHasReminder && !ctx.alreadyCreated(org.orgId, null, key)) {
      ctx.skip(org.orgId, null, 'already_scheduled', "account-plan review: carried by the client's reminder (one reminder per client per night)", key);
    } else {
      pushIfPlanned(out, org, ctx, 'account_plan', key, ctx.policy.accountCare.accountPlan.activityType, (k) => accountPlanTexts(org, due.reviewedDate, ctx, k));
    }
  }
  return out;
}

/** The account-plan review the client's owner is reminded of tonight (Tier ≥ reminderMinTier, review due), or null. */
export function accountPlanReminderDue(policy: Policy, org: OrgAssessment): { reviewedDate: string | null } | null {
  const minTier = policy.accountCare.accountPlan.reminderMinTier;
  return org.accountPlanDue && minTier > 0 && org.tier.level >= minTier ? org.accountPlanDue : null;
}

/** What the note says about the account plan ("revisado pela última vez em …; a política pede …"). */
export function accountPlanFact(policy: Policy, org: OrgAssessment, reviewedDate: string | null): string {
  const t = policy.texts[policy.locale];
  const days = policy.accountCare.accountPlan.maxAgeDays;
  return reviewedDate === null
    ? fillTemplate(t.accountPlanNoteNever, { org: org.name, days })
    : fillTemplate(t.accountPlanNote, { org: org.name, date: formatDate(policy.locale, reviewedDate), days });
}

type Texts = { subject: string; note: string };

function pushIfPlanned(out: CreateActivity[], org: OrgAssessment, ctx: OrgExtrasContext, purpose: 'handover' | 'account_plan', key: string, type: string, texts: (key: string) => Texts): void {
  if (ctx.alreadyCreated(org.orgId, null, key)) return;
  const ownerId = ctx.assignee(org);
  if (ownerId === null) {
    ctx.noAssignee();
    ctx.skip(org.orgId, null, 'no_assignee', `${purpose}: no owner and no active fallback user`, key);
    return;
  }
  if (!ctx.typeUsable(type)) {
    ctx.skip(org.orgId, null, 'no_activity_type', `${purpose}: activity type "${type}" is not available`, key);
    return;
  }
  const { subject, note } = texts(key);
  out.push({ kind: 'create_activity', key, purpose, orgId: org.orgId, ruleId: null, reason: subject, activity: ctx.draft(org, ownerId, type, subject, note, org.relevantOpenDealId) });
}

const userName = (snapshot: MirrorSnapshot, id: number | null): string => (id === null ? '—' : (snapshot.users.get(id)?.name ?? `#${id}`));

function section(title: string, items: readonly string[], none: string): string {
  const body = items.length === 0 ? `<p>${escapeHtml(none)}</p>` : `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
  return `<p><b>${escapeHtml(title)}</b></p>\n${body}`;
}

function handoverTexts(org: OrgAssessment, h: HandoverFacts, ctx: OrgExtrasContext, key: string): Texts {
  const { policy, snapshot } = ctx;
  const t = policy.texts[policy.locale];
  const from = userName(snapshot, h.fromOwnerId);
  const values = { org: org.name, from, to: userName(snapshot, h.toOwnerId), date: formatDate(policy.locale, h.day) };
  const subject = fillTemplate(t.handoverSubject, values);
  const fact = fillTemplate(t.handoverNote, values);
  const money = new Intl.NumberFormat(policy.locale, { maximumFractionDigits: 0 });
  const note = [
    `<p><b>${escapeHtml(t.noteTitle)}</b></p>`,
    `<p>${escapeHtml(fact)}</p>`,
    section(t.handoverTouchpoints, h.touchpoints.map((tp) => `${formatDate(policy.locale, tp.date)} — ${tp.subject} (${userName(snapshot, tp.ownerId)})`), t.handoverNone),
    section(t.handoverOpenDeals, h.openDeals.map((d) => `${d.title} — ${money.format(d.value)} ${d.currency}`.trim()), t.handoverNone),
    `<p>${escapeHtml(risksLine(policy, t, org))}</p>`,
    section(t.handoverStakeholders, h.stakeholders.map((s) => (s.role ? `${s.name} — ${s.role}` : s.name)), t.handoverNone),
    provenanceBlock(t, { rule: t.report.purpose_handover ?? 'handover', reason: subject, runId: ctx.runId, key }),
  ].join('\n');
  return { subject, note };
}

function accountPlanTexts(org: OrgAssessment, reviewedDate: string | null, ctx: OrgExtrasContext, key: string): Texts {
  const { policy } = ctx;
  const t = policy.texts[policy.locale];
  const subject = fillTemplate(t.accountPlanSubject, { org: org.name, tier: org.tier.level });
  const fact = accountPlanFact(policy, org, reviewedDate);
  const note = [`<p><b>${escapeHtml(t.noteTitle)}</b></p>`, `<p>${escapeHtml(fact)}</p>`, `<p>${escapeHtml(risksLine(policy, t, org))}</p>`, provenanceBlock(t, { rule: t.report.purpose_account_plan ?? 'account-plan', reason: fact, runId: ctx.runId, key })].join('\n');
  return { subject, note };
}
