/**
 * The worker's vocabulary: what the rules can find wrong with a record, which risks they see, how a tier
 * was decided, what a health-score penalty is for, and what apply did with a planned write. Every layer
 * speaks these words — the rules produce them, the policy schema requires a template for each (pt-BR and
 * en, src/i18n/message-keys.ts lists the placeholders), the reports and the CLI show them — so they live
 * here, at the bottom, and import nothing of the project.
 *
 * Adding a kind: add it to its list here, then its template in `config/policy.yaml` (both languages) and,
 * for a risk kind or write outcome, its label in src/report/report-labels.ts; a test fails until all exist.
 */
import { z } from 'zod';

/** What is wrong with a field or a record (docs/policy.md §7). */
export const FINDING_PROBLEMS = [
  'missing',
  'invalid_option',
  'not_a_number',
  'invalid_monetary',
  'invalid_date',
  'invalid_email',
  'invalid_phone',
  'dangling_reference',
  'unknown_field',
  'no_owner',
  'inactive_owner',
  'no_decision_maker',
  'missing_stakeholder_role',
  'missing_relationship_strength',
  'unknown_currency',
] as const;
export const FindingProblem = z.enum(FINDING_PROBLEMS);
export type FindingProblem = z.infer<typeof FindingProblem>;

/** The risks the rules flag on a client (docs/policy.md §10). */
export const RISK_KINDS = [
  'key_person_dependency',
  'no_decision_maker_contact',
  'outreach_collision',
  'falling_engagement',
  'renewal_due',
  'stakeholder_at_risk',
  'shrinking_deals',
  'recent_loss',
  'stalled_deals',
] as const;
export const RiskKind = z.enum(RISK_KINDS);
export type RiskKind = z.infer<typeof RiskKind>;

/** How a client's tier was decided (docs/policy.md §2). */
export const TIER_RULE_KINDS = ['explicit_field', 'key_account', 'revenue_tenure'] as const;
export const TierRuleKind = z.enum(TIER_RULE_KINDS);
export type TierRuleKind = z.infer<typeof TierRuleKind>;

/** What a health-score penalty is for (src/rules/health.ts). */
export const HEALTH_PART_KINDS = ['overdue', 'never', 'due_soon', 'falling_engagement', 'risk', 'data_quality'] as const;
export const HealthPartKind = z.enum(HEALTH_PART_KINDS);
export type HealthPartKind = z.infer<typeof HealthPartKind>;

/** What apply did with one planned write. */
export const WRITE_OUTCOMES = [
  /** Dry run: would be written. */
  'planned',
  'created',
  /** Found in Pipedrive under its key (an earlier run, crashed before its ledger write, or another replica). */
  'adopted',
  'updated',
  'deleted',
  /** The ledger already has it done. */
  'already_done',
  /** Nothing to do any more (the activity to delete was done, edited or gone). */
  'not_needed',
  'failed',
  /** The run stopped before this write (fatal error, lost lock, not confirmed). */
  'not_attempted',
] as const;
export const WriteOutcome = z.enum(WRITE_OUTCOMES);
export type WriteOutcome = z.infer<typeof WriteOutcome>;

/**
 * The facts a record's sentence needs, by placeholder name (src/i18n/message-keys.ts lists them per
 * template): names of fields, people and deals, offending values, counts, amounts, `…Date` calendar
 * dates. Raw values: the describer formats numbers and dates for the locale when it fills the template.
 */
export const MessageParams = z.record(z.string(), z.union([z.string(), z.number()]));
export type MessageParams = z.infer<typeof MessageParams>;
