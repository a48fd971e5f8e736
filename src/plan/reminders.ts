/**
 * Who gets a follow-up activity, and which of a client's gaps names it (docs/policy.md §10.1, §10.4). Pure.
 *
 * The firm's policy: "Agendar mensalmente FUP com os clientes estratégicos. Demais clientes as reuniões serão
 * sob necessidade." Activities are created for the tiers `reminders.createForTiers` lists (and key accounts);
 * every other client's gaps are flagged and reported. `tiers[].cadence.<rule>.onGap` overrides both per tier
 * and rule; a rule whose own `onGap` is `report` is reported for every tier unless a tier says `create`.
 */
import type { Policy } from '../config/policy-schema.js';
import type { CadenceResult, OrgAssessment } from '../rules/types.js';

export type ReminderMode = 'create' | 'report';

/** Why a gap is reported rather than turned into an activity; null when it becomes one. */
export type ReportReason = 'tier_override' | 'rule_report' | 'not_strategic' | null;

export function reminderDecision(policy: Policy, org: Pick<OrgAssessment, 'tier'>, ruleId: string): { mode: ReminderMode; why: ReportReason } {
  const tier = policy.tiers.find((t) => t.level === org.tier.level);
  const override = tier?.cadence[ruleId]?.onGap;
  if (override) return { mode: override, why: override === 'report' ? 'tier_override' : null };
  const rule = policy.cadenceRules[ruleId];
  if (!rule || rule.onGap === 'report') return { mode: 'report', why: 'rule_report' };
  const tiers = policy.reminders.createForTiers;
  if (tiers === undefined || tiers.includes(org.tier.level)) return { mode: 'create', why: null };
  if (policy.reminders.keyAccounts && org.tier.rule === 'key_account') return { mode: 'create', why: null };
  return { mode: 'report', why: 'not_strategic' };
}

export function reminderMode(policy: Policy, org: Pick<OrgAssessment, 'tier'>, ruleId: string): ReminderMode {
  return reminderDecision(policy, org, ruleId).mode;
}

/** The gaps most senior first (`cadenceRules.<id>.seniority`, lowest first; without one, last, in file order). */
export function bySeniority<T extends Pick<CadenceResult, 'ruleId'>>(policy: Policy, gaps: readonly T[]): T[] {
  const order = Object.keys(policy.cadenceRules);
  const rank = (id: string): [number, number] => [policy.cadenceRules[id]?.seniority ?? Number.MAX_SAFE_INTEGER, order.indexOf(id)];
  return [...gaps].sort((a, b) => {
    const [sa, oa] = rank(a.ruleId);
    const [sb, ob] = rank(b.ruleId);
    return sa - sb || oa - ob;
  });
}
