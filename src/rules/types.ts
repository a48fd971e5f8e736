/**
 * What the pure rules compute (docs/policy.md §2–4, §6, §7): the contract read by the planner and the reports.
 * Stage naming: domain records (src/domain/entities.ts) → these derived facts.
 */
import { z } from 'zod';
import { Category } from '../config/policy-schema.js';
import { EntityKind } from '../domain/entities.js';
import {
  FINDING_TEXT_KEYS,
  RISK_TEXT_KEYS,
  TIER_TEXT_KEYS,
} from '../i18n/message-keys.js';
import { FindingProblem, HealthPartKind, MessageParams, RiskKind, TierRuleKind } from '../domain/vocabulary.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const CadenceStatus = z.enum(['on_track', 'due_soon', 'overdue', 'never']);
export type CadenceStatus = z.infer<typeof CadenceStatus>;
/** Status of an organization as a whole: the worst applicable rule, or not_applicable when no rule applies. */
export const OverallStatus = z.enum(['on_track', 'due_soon', 'overdue', 'never', 'not_applicable']);
export type OverallStatus = z.infer<typeof OverallStatus>;

export const TierTextKey = z.enum(TIER_TEXT_KEYS);
export type TierTextKey = z.infer<typeof TierTextKey>;

export const TierDecision = z.object({
  level: z.number().int(),
  rule: TierRuleKind,
  /** Trailing-12-month won-deal value in the firm currency (converted deals only). */
  revenue12m: z.number(),
  tenureYears: z.number(),
  /**
   * Technical English reason for logs and JSON consumers, e.g. `Tier field = "Tier 3"` or `won squad deal #12`.
   * Not for display: people read the policy template `texts.<locale>.tierRules[textKey ?? rule]` filled with `params`.
   */
  detail: z.string(),
  /** Currencies of won deals that could not be converted (no rate in the policy). */
  unconvertedCurrencies: z.array(z.string()),
  /** The template's facts (TIER_TEXTS in src/i18n/message-keys.ts). */
  params: MessageParams.default({}),
  /** A narrower template than the rule's own (`lowest_tier`); absent = the rule's template. */
  textKey: TierTextKey.optional(),
  /**
   * docs/policy.md §10.2. Optional so that reports written before these facts existed still parse; the rules
   * always set them. Currency of the thresholds (`tierCriteria.thresholdCurrency`, else the firm currency).
   */
  thresholdCurrency: z.string().optional(),
  /** `revenue12m` in the threshold currency (shown next to the firm-currency amount). */
  revenue12mThreshold: z.number().optional(),
  /** Won-deal value of the 12 months before the trailing 12 (firm currency): growth and the per-executive view. */
  revenuePrevious12m: z.number().optional(),
  /** Won deals within `tierCriteria.recurrence.windowMonths`, and whether any won deal is a retainer. */
  wonDeals: z.number().int().optional(),
  retainer: z.boolean().optional(),
  /** The tier the revenue alone reached and the criterion that kept the client below it; null when none did. */
  heldBack: z.object({ level: z.number().int(), criterion: z.enum(['tenure', 'recurrence']) }).nullable().optional(),
  /**
   * An upgrade candidate of `tierCriteria.upgrade.tier`: its revenue is `share` (0–1) of the next tier's
   * threshold, it grew by `growth` (ratio; null without revenue in the 12 months before), and which of
   * the two made it a candidate. Null when the client is not a candidate.
   */
  upgradeCandidate: z
    .object({
      nextTier: z.number().int(),
      share: z.number(),
      growth: z.number().nullable(),
      reasons: z.array(z.enum(['revenue_share', 'growth'])),
    })
    .nullable()
    .optional(),
});
export type TierDecision = z.infer<typeof TierDecision>;

export const Touchpoint = z.object({
  activityId: z.number().int(),
  /** Calendar date of the touchpoint in the firm's time zone. */
  date: isoDate,
  categories: z.array(Category),
  type: z.string(),
  subject: z.string(),
  ownerId: z.number().int().nullable(),
  personIds: z.array(z.number().int()),
});
export type Touchpoint = z.infer<typeof Touchpoint>;

export const CadenceResult = z.object({
  ruleId: z.string(),
  category: Category,
  /** Maximum days between touchpoints for this tier. */
  cadenceDays: z.number().int(),
  onGap: z.enum(['create', 'report']),
  /** False when the rule is `activeOnly` and the client is not active; status is then informative only. */
  applies: z.boolean(),
  lastTouchpoint: z.object({ activityId: z.number().int(), date: isoDate }).nullable(),
  /** lastTouchpoint.date + cadenceDays; null when never touched. */
  nextDueDate: isoDate.nullable(),
  /** Days overdue (today − nextDueDate); negative when not yet due; null when never. */
  gapDays: z.number().int().nullable(),
  /** Days since the last touchpoint; null when never. */
  daysSinceLast: z.number().int().nullable(),
  status: CadenceStatus,
  /** An open (not done, not deleted) qualifying activity already scheduled, by anyone. */
  openScheduled: z
    .object({ activityId: z.number().int(), dueDate: isoDate.nullable(), cadenceKey: z.string().nullable(), ownerId: z.number().int().nullable() })
    .nullable(),
  /** The latest open qualifying activity whose due date (plus status.missedGraceDays) has passed: it no longer counts as scheduled. */
  missed: z.object({ activityId: z.number().int(), dueDate: isoDate, ownerId: z.number().int().nullable(), subject: z.string() }).nullable().optional(),
  /** How regular past gaps were ("consistency beats intensity"); null with fewer than two touchpoints. */
  regularity: z.object({ intervals: z.number().int(), meanGapDays: z.number(), stdDevGapDays: z.number() }).nullable(),
});
export type CadenceResult = z.infer<typeof CadenceResult>;

export const WeekCount = z.object({ week: z.string(), count: z.number().int() });
export type WeekCount = z.infer<typeof WeekCount>;
export const Trend = z.enum(['rising', 'stable', 'falling']);
export type Trend = z.infer<typeof Trend>;

export const Engagement = z.object({
  /** ISO weeks (`2026-W47`) in the firm's time zone, oldest first, the current week last. */
  weeks: z.array(WeekCount),
  last4: z.number().int(),
  previous4: z.number().int(),
  trend: Trend,
  /** Distinct persons of the client touched in the breadth window. */
  breadth: z.number().int(),
});
export type Engagement = z.infer<typeof Engagement>;

export const FindingTextKey = z.enum(FINDING_TEXT_KEYS);
export type FindingTextKey = z.infer<typeof FindingTextKey>;

export const Finding = z.object({
  entity: EntityKind,
  entityId: z.number().int(),
  /** The client the record belongs to (null for a person or deal without an organization). */
  orgId: z.number().int().nullable(),
  /** Field name as the admin sees it in Pipedrive (or a built-in label like "Owner"). */
  field: z.string(),
  problem: FindingProblem,
  /**
   * What is wrong, as a technical English sentence with the offending value, for logs and JSON consumers.
   * Not for display: people read the policy template `texts.<locale>.findings[textKey ?? problem]` filled with `params`.
   */
  detail: z.string(),
  /** The user responsible for fixing it (record owner, else the org owner, else the fallback user). */
  ownerId: z.number().int().nullable(),
  /** The template's facts (FINDING_TEXTS in src/i18n/message-keys.ts). */
  params: MessageParams.default({}),
  /** A narrower template than the problem's own (e.g. `too_many_options`); absent = the problem's template. */
  textKey: FindingTextKey.optional(),
});
export type Finding = z.infer<typeof Finding>;

export const RiskTextKey = z.enum(RISK_TEXT_KEYS);
export type RiskTextKey = z.infer<typeof RiskTextKey>;

export const Risk = z.object({
  kind: RiskKind,
  /**
   * Technical English sentence with record ids, for logs and JSON consumers. Not for display: people read
   * the policy template `texts.<locale>.risks[textKey ?? kind]` filled with `params`.
   */
  detail: z.string(),
  /** Ids that support the risk (persons, deals, users, the ISO week…). */
  evidence: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.number())])).default({}),
  /** The template's facts, people and deals by name (RISK_TEXTS in src/i18n/message-keys.ts). */
  params: MessageParams.default({}),
  /** A narrower template than the kind's own (e.g. `no_decision_maker_mapped`); absent = the kind's template. */
  textKey: RiskTextKey.optional(),
});
export type Risk = z.infer<typeof Risk>;

export const HealthPart = z.object({
  /** Technical English reason (`overdue: qbr`); people read `texts.<locale>.healthParts[kind]` filled with `params`. */
  reason: z.string(),
  points: z.number(),
  kind: HealthPartKind,
  /** `rule` (cadence rule id), `risk` (risk kind) or `count` (findings), per HEALTH_PART_TEXTS. */
  params: MessageParams.default({}),
});
export type HealthPart = z.infer<typeof HealthPart>;

export const Health = z.object({
  score: z.number().int().min(0).max(100),
  parts: z.array(HealthPart),
});
export type Health = z.infer<typeof Health>;

/** An open deal that stalled (docs/policy.md §10.5): past its expected close date, or too long in one stage. */
export const StalledDeal = z.object({
  dealId: z.number().int(),
  title: z.string(),
  /** The deal's owner (else null). */
  ownerId: z.number().int().nullable(),
  /** `past_close` first when both hold. */
  reasons: z.array(z.enum(['past_close', 'in_stage'])),
  expectedCloseDate: isoDate.nullable(),
  /** Days past the expected close date (positive = late); null without one. */
  daysPastClose: z.number().int().nullable(),
  /** Calendar date the deal entered its current stage, and days since; null when unknown. */
  stageSince: isoDate.nullable(),
  daysInStage: z.number().int().nullable(),
  stageId: z.number().int().nullable(),
  /** Value in the firm currency (null when its currency has no rate). */
  value: z.number().nullable(),
});
export type StalledDeal = z.infer<typeof StalledDeal>;

export const OrgAssessment = z.object({
  orgId: z.number().int(),
  name: z.string(),
  /** Owner as recorded in Pipedrive (may be null or inactive). */
  ownerId: z.number().int().nullable(),
  ownerActive: z.boolean(),
  /** Who follow-ups go to: the owner when active, else the policy's fallback user (resolved id; null if unresolved). */
  assigneeId: z.number().int().nullable(),
  tier: TierDecision,
  /** Open deal or a deal won within activeClientWindowDays. */
  active: z.boolean(),
  cadence: z.array(CadenceResult),
  overallStatus: OverallStatus,
  lastTouchpointDate: isoDate.nullable(),
  /** Earliest next due date among applicable rules. */
  nextDueDate: isoDate.nullable(),
  engagement: Engagement,
  findings: z.array(Finding),
  risks: z.array(Risk),
  health: Health,
  contractEndDate: isoDate.nullable(),
  /** Decision maker, else champion, else the most recently touched person, else any person. */
  mainContactPersonId: z.number().int().nullable(),
  /** Open deal with the highest value (ties: most recently updated). */
  relevantOpenDealId: z.number().int().nullable(),
  /** Open deals that stalled (docs/policy.md §10.5); optional so older reports still parse, always set by the rules. */
  stalledDeals: z.array(StalledDeal).optional(),
  /** Open activities of the client missed as cadence.ts `isMissed` says (due date + status.missedGraceDays passed, not the worker's own follow-ups), for the per-executive view; always set by the rules. */
  missedActivities: z.number().int().min(0).optional(),
});
export type OrgAssessment = z.infer<typeof OrgAssessment>;

export const RulesResult = z.object({
  /** The instant the rules ran for (ISO) and the firm's calendar date then. */
  now: z.string(),
  today: isoDate,
  timeZone: z.string(),
  organizations: z.array(OrgAssessment),
  /** Findings on records not attached to any organization (orphan persons/deals) and policy-level problems. */
  otherFindings: z.array(Finding),
  /** Weekly touchpoint volume per tier, same weeks as each org's engagement. */
  engagementByTier: z.array(z.object({ tier: z.number().int(), weeks: z.array(WeekCount) })),
  /** Policy field names that do not exist in the company's field catalogue. */
  unresolvedFields: z.array(z.object({ entity: EntityKind, name: z.string() })),
});
export type RulesResult = z.infer<typeof RulesResult>;

/** Inputs that make the rules deterministic: the instant and the firm's time zone. */
export interface RulesClock {
  now: Date;
  timeZone: string;
}
