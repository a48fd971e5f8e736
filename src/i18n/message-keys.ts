/**
 * What the rules' findings, risks, tier decisions and health-score parts can say to people: the policy
 * template keys (`texts.<locale>.findings / risks / tierRules / healthParts`) and, for each key, the
 * placeholders its sentence may use — the `params` the rules put on the record.
 *
 * The kinds themselves are the domain's vocabulary (src/domain/vocabulary.ts); this module adds, per kind
 * and per narrower case, the placeholders its sentence may use. The policy schema requires a template for
 * every key in every language and rejects a placeholder the record does not carry, and the describer
 * (describe.ts) fills the templates.
 *
 * A key is the problem / risk kind / tier rule itself, or a narrower case of it that needs its own
 * sentence (the record's `textKey` names it then): e.g. `too_many_options` is an `invalid_option`.
 */
import type { FindingProblem, HealthPartKind, RiskKind, TierRuleKind } from '../domain/vocabulary.js';

type Placeholders<K extends string> = Record<K, readonly string[]> & Record<string, readonly string[]>;

/**
 * Placeholders by finding template. `field` is the field's name as the company spells it; `value` the
 * offending value as stored (JSON-quoted text, option ids, a record id); `owner` a user's name.
 */
export const FINDING_TEXTS = {
  missing: ['field'],
  invalid_option: ['field', 'value'],
  /** invalid_option: a single-option field holding several options. */
  too_many_options: ['field', 'count'],
  not_a_number: ['field', 'value'],
  /** not_a_number: a whole-number field holding a fraction. */
  not_a_whole_number: ['field', 'value'],
  invalid_monetary: ['field', 'value'],
  invalid_date: ['field', 'value'],
  /** No `value`: an e-mail or phone is personal data, and the reports only say that it is invalid. */
  invalid_email: ['field'],
  invalid_phone: ['field'],
  dangling_reference: ['field', 'value'],
  unknown_field: ['field'],
  no_owner: ['field'],
  inactive_owner: ['field', 'owner'],
  /** inactive_owner: the owner id is not a user of the company at all. */
  unknown_owner: ['field', 'owner'],
  no_decision_maker: ['field', 'tier', 'roles'],
  missing_stakeholder_role: ['field'],
  missing_relationship_strength: ['field'],
  unknown_currency: ['field', 'amount', 'currency', 'firmCurrency'],
  /** docs/policy.md §10.3: a done FUP, QBR or planning session with an empty note; `kind` is the rule's (else the category's) label. */
  held_without_notes: ['field', 'subject', 'heldDate', 'kind'],
  /** docs/policy.md §10.5: the last score (`{field}`, dated `npsDate`) is older than `days`. */
  stale_nps: ['field', 'npsDate', 'days', 'tier'],
  /** stale_nps: no score or no date at all. */
  stale_nps_never: ['field', 'days', 'tier'],
  no_executive_sponsor: ['field', 'tier'],
  /** no_executive_sponsor: the sponsor is a deactivated user (or not a user of the company). */
  executive_sponsor_inactive: ['field', 'sponsor', 'tier'],
  /** docs/policy.md §10.5: the account plan was last reviewed on `reviewedDate`, more than `days` ago. */
  stale_account_plan: ['field', 'reviewedDate', 'days', 'tier'],
  /** stale_account_plan: never reviewed (the date is empty). */
  stale_account_plan_never: ['field', 'days', 'tier'],
} as const satisfies Placeholders<FindingProblem>;
export type FindingTextKey = keyof typeof FINDING_TEXTS;
export const FINDING_TEXT_KEYS = Object.keys(FINDING_TEXTS) as [FindingTextKey, ...FindingTextKey[]];

/** Placeholders by risk template. Persons, users and deals are named (person / deal title), not numbered. */
export const RISK_TEXTS = {
  key_person_dependency: ['person', 'touchpoints', 'days'],
  no_decision_maker_contact: ['persons', 'days', 'lastContactDate'],
  /** no_decision_maker_contact: decision makers are mapped but were never touched. */
  no_decision_maker_contact_never: ['persons', 'days'],
  /** no_decision_maker_contact: no person has a decision-maker role (`field` is the role field). */
  no_decision_maker_mapped: ['field', 'days'],
  outreach_collision: ['users', 'userCount', 'weekStartDate', 'weeks', 'shownWeeks'],
  falling_engagement: ['last4', 'previous4'],
  renewal_due: ['contractEndDate', 'days', 'windowDays'],
  stakeholder_at_risk: ['persons', 'count'],
  shrinking_deals: ['latestDeal', 'latestValue', 'previousDeal', 'previousValue', 'currency', 'percent'],
  recent_loss: ['deals', 'count', 'days'],
  /** docs/policy.md §10.5: open deals past their expected close date (`pastClose`) or in one stage over `maxDays` (`inStage`). */
  stalled_deals: ['deals', 'count', 'pastClose', 'inStage', 'maxDays'],
  /** docs/policy.md §10.5: the last satisfaction score, its date and the highest detractor score. */
  detractor: ['score', 'npsDate', 'max'],
  /** docs/policy.md §10.5: the person was deleted (or vanished) since the night `changeDate` compares with. */
  stakeholder_change: ['person', 'role', 'changeDate'],
  /** stakeholder_change: the person moved to another organization (`newOrg`). */
  stakeholder_moved: ['person', 'role', 'newOrg', 'changeDate'],
  /** stakeholder_change: the person's stakeholder role changed (`newRole`, "—" when emptied). */
  stakeholder_role_changed: ['person', 'role', 'newRole', 'changeDate'],
} as const satisfies Placeholders<RiskKind>;
export type RiskTextKey = keyof typeof RISK_TEXTS;
export const RISK_TEXT_KEYS = Object.keys(RISK_TEXTS) as [RiskTextKey, ...RiskTextKey[]];

/**
 * Placeholders by tier-decision template. `revenue` is in the firm currency (`currency`), `revenueThreshold`
 * the same revenue in the thresholds' currency (`thresholdCurrency`), `minRevenue` a threshold (in
 * `thresholdCurrency`); `heldTier` is the tier the revenue reached when another criterion held the client back.
 */
export const TIER_TEXTS = {
  explicit_field: ['tier', 'field', 'label'],
  key_account: ['tier', 'deal'],
  revenue_tenure: ['tier', 'revenue', 'currency', 'revenueThreshold', 'thresholdCurrency', 'tenureYears', 'minRevenue', 'minTenureYears', 'wonDeals'],
  /** revenue_tenure: below every tier's thresholds, so the lowest tier. */
  lowest_tier: ['tier', 'revenue', 'currency', 'revenueThreshold', 'thresholdCurrency', 'tenureYears'],
  /** revenue_tenure: the revenue reached `heldTier`, the tenure did not (docs/policy.md §10.2). */
  held_back_tenure: ['tier', 'heldTier', 'revenue', 'currency', 'revenueThreshold', 'thresholdCurrency', 'tenureYears', 'minTenureYears'],
  /** revenue_tenure: the revenue reached `heldTier`, but the client does not buy recurrently (docs/policy.md §10.2). */
  held_back_recurrence: ['tier', 'heldTier', 'revenue', 'currency', 'revenueThreshold', 'thresholdCurrency', 'wonDeals', 'minWonDeals', 'windowMonths'],
} as const satisfies Placeholders<TierRuleKind>;
export type TierTextKey = keyof typeof TIER_TEXTS;
export const TIER_TEXT_KEYS = Object.keys(TIER_TEXTS) as [TierTextKey, ...TierTextKey[]];

/** Placeholders by health-part template: `rule` is shown by the cadence rule's label, `risk` by the risk's label. */
export const HEALTH_PART_TEXTS = {
  overdue: ['rule'],
  never: ['rule'],
  due_soon: ['rule'],
  falling_engagement: [],
  risk: ['risk'],
  data_quality: ['count'],
} as const satisfies Record<HealthPartKind, readonly string[]>;

/**
 * Placeholders by notice: what the job tells the people who run it about itself (a missing field, a user
 * that does not resolve, a write-back refused by the cap, a run that failed). The operator's log and CLI
 * show the English text; the reports show the policy's language. `detail` is a technical message (an
 * error from Pipedrive or the network) and stays as it came.
 */
export const NOTICE_TEXTS = {
  flag_field_missing: ['field', 'flag'],
  flag_option_missing: ['field', 'option'],
  flag_field_wrong_type: ['field', 'type', 'want'],
  activity_type_unavailable: ['type'],
  no_assignee: [],
  no_escalation_user: [],
  fallback_user_unknown: ['user'],
  escalation_user_unknown: ['user'],
  sync_stopped: ['detail'],
  malformed_skipped: ['count'],
  apply_skipped_stale: [],
  apply_refused: ['writes', 'max'],
  apply_not_confirmed: [],
  apply_aborted: ['detail'],
  run_failed: ['detail'],
  report_not_written: ['detail'],
  policy_type_not_counted: ['type', 'category', 'usedBy'],
  policy_type_not_creatable: ['type', 'usedBy'],
  policy_field_missing: ['entity', 'field', 'usedBy'],
  policy_option_missing: ['field', 'options', 'usedBy'],
  policy_user_inactive: ['role', 'user'],
  /** Near-real-time (CADENCE_WEBHOOK_URL set): a subscription of ours (src/setup/webhook-health.ts) that does not deliver here. */
  webhook_missing: ['object', 'url', 'base'],
  webhook_elsewhere: ['object', 'url', 'other', 'base'],
  webhook_inactive: ['object', 'base'],
  webhook_failing: ['object', 'status'],
  webhook_unanswered: ['object'],
  webhook_check_failed: ['detail'],
} as const satisfies Record<string, readonly string[]>;
export type NoticeCode = keyof typeof NOTICE_TEXTS;
export const NOTICE_CODES = Object.keys(NOTICE_TEXTS) as [NoticeCode, ...NoticeCode[]];

/**
 * How the describer shows a param: numbers by the locale's number format, params whose name ends in
 * `Date` (calendar dates `YYYY-MM-DD`, already in the firm's time zone) by the locale's date format,
 * everything else as it is (names and values come from the CRM and are not translated).
 */
export const DATE_PARAM_SUFFIX = 'Date';

/** The `{name}` placeholders a template uses, in order of appearance, without repeats. */
export function templatePlaceholders(template: string): string[] {
  // `{name}` and the number of a plural block, `{name, plural, one {…} other {…}}`.
  return [...new Set([...template.matchAll(/\{([A-Za-z0-9_]+)(?:\}|,\s*plural,)/g)].map((m) => m[1]!))];
}
