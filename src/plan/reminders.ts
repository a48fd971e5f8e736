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
  if (gaps.length < 2) return [...gaps];
  const ranks = seniorityRanks(policy);
  return [...gaps].sort((a, b) => {
    const ra = ranks.get(a.ruleId) ?? UNKNOWN_RANK;
    const rb = ranks.get(b.ruleId) ?? UNKNOWN_RANK;
    return ra[0] - rb[0] || ra[1] - rb[1];
  });
}

/** A rule the policy does not have: no seniority, and not in the file. */
const UNKNOWN_RANK: readonly [number, number] = [Number.MAX_SAFE_INTEGER, -1];
/** Per policy (not changed once parsed): each rule's seniority and place in the file, for the planner's thousands of sorts. */
const ranksByPolicy = new WeakMap<Policy, Map<string, readonly [number, number]>>();
function seniorityRanks(policy: Policy): Map<string, readonly [number, number]> {
  let ranks = ranksByPolicy.get(policy);
  if (!ranks) {
    ranks = new Map(Object.keys(policy.cadenceRules).map((id, i) => [id, [policy.cadenceRules[id]?.seniority ?? Number.MAX_SAFE_INTEGER, i] as const]));
    ranksByPolicy.set(policy, ranks);
  }
  return ranks;
}
