/**
 * The JSON report (`report.json`): a documented, versioned contract for other tools.
 *
 * `schemaVersion` is bumped on any change that could break a reader (a field removed, renamed or
 * retyped); fields may be added within a version, so readers should ignore keys they do not know.
 * Validate a file with `ReportV1.parse(JSON.parse(text))`.
 *
 * Per-organization assessments reuse the rules contract (src/rules/types.ts), so the JSON carries the
 * whole result; everything else is the report's own view: names resolved from the mirror, Pipedrive
 * links, counts, and what the run planned and applied.
 *
 * Every finding, risk, tier decision and health-score part carries three descriptions: `message`, the
 * sentence people read (the policy template in the report's locale, filled with the params — this is what
 * the HTML and the CSV show); `params` + `textKey`, the facts and the template key to render another
 * language from; and `detail` / `reason`, a technical English sentence with record ids, for logs.
 */
import { z } from 'zod';
import { Category } from '../config/policy-schema.js';
import { EntityKind } from '../domain/entities.js';
import { WriteOutcome } from '../domain/vocabulary.js';
import { Plan, SkipCode } from '../plan/types.js';
import { ExecutiveView, HealthTrend, PortfolioView } from './views-schema.js';
import { CadenceStatus, Finding, Health, HealthPart, OrgAssessment, Risk, StalledDeal, TierDecision, Trend, WeekCount } from '../rules/types.js';
import { Locale } from '../i18n/locales.js';
import { SUBSCRIPTION_STATES } from '../setup/webhook-health.js';

export const REPORT_SCHEMA_VERSION = 1 as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const int = z.number().int();
const count = z.number().int().min(0);

/** A record the sync could not parse: reported, never dropped silently (STYLE.md habit 6). */
export const MalformedRecord = z.object({
  entity: z.string(),
  id: z.union([z.number(), z.string()]).nullable(),
  field: z.string().nullable().default(null),
  message: z.string(),
});
export type MalformedRecord = z.infer<typeof MalformedRecord>;

/**
 * Near-real-time (CADENCE_WEBHOOK_URL set): this company's webhook subscriptions as the run read them
 * (src/setup/webhook-health.ts). A ban is not a field of Pipedrive's listing: it shows as `failing`.
 */
export const WebhookStatus = z.object({
  /** Where the subscriptions should deliver: `<CADENCE_WEBHOOK_URL>/webhooks/<company>`. */
  receiverUrl: z.string(),
  /** Why the listing could not be read (then `subscriptions` is empty); null when it was. */
  error: z.string().nullable(),
  subscriptions: z.array(
    z.object({
      object: z.string(),
      state: z.enum(SUBSCRIPTION_STATES).exclude(['unknown']),
      id: z.number().int().nullable(),
      url: z.string().nullable(),
      lastHttpStatus: z.number().int().nullable(),
      lastDeliveryTime: z.string().nullable(),
      removeReason: z.string().nullable(),
    }),
  ),
});
export type WebhookStatus = z.infer<typeof WebhookStatus>;

/** Facts about the run itself, collected by the composition root. */
export const RunInfo = z.object({
  /** ISO instants. */
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number().min(0),
  /** Records received from Pipedrive in this run, by entity (`organization`, `person`, `deal`, `activity`, …). */
  recordsSynced: z.record(z.string(), count),
  /** HTTP requests sent to Pipedrive, retries among them, and 429 answers received. */
  requests: count,
  retries: count,
  rate429: count,
  warnings: z.array(z.string()).default([]),
  malformed: z.array(MalformedRecord).default([]),
  /** True when the run planned but did not write (dry run / `plan`). */
  dryRun: z.boolean().default(false),
  /** Webhook subscriptions, when near-real-time is configured and the run talked to Pipedrive. Optional: absent otherwise and in older reports. */
  webhooks: WebhookStatus.optional(),
});
export type RunInfo = z.input<typeof RunInfo>;


/** What apply did (null when the run did not apply: `plan`, report-only runs). Mirrors apply's summary. */
export const AppliedSummary = z.object({
  dryRun: z.boolean(),
  /** Why nothing was applied (max-writes cap), else null. */
  refused: z.string().nullable(),
  /** Why apply stopped early, else null. */
  aborted: z.string().nullable(),
  planned: count,
  counts: z.record(WriteOutcome, count),
  duplicatesRemoved: count,
  results: z.array(
    z.object({
      key: z.string(),
      kind: z.enum(['create_activity', 'delete_activity', 'update_org_flags']),
      orgId: int,
      outcome: WriteOutcome,
      pipedriveId: int.nullable(),
      detail: z.string().nullable(),
    }),
  ),
});
export type AppliedSummary = z.infer<typeof AppliedSummary>;

/** The sentence people read: the policy template for the record, in the report's locale, filled with its params. */
const Described = { message: z.string() };

export const DescribedFinding = Finding.extend(Described);
export const DescribedRisk = Risk.extend(Described);
export const DescribedTier = TierDecision.extend(Described);
export const DescribedHealth = Health.extend({ parts: z.array(HealthPart.extend(Described)) });

/** A finding with the names and the link an admin needs to fix it. */
export const ReportFinding = DescribedFinding.extend({
  /** Org name, person name or deal title; null when the record is not in the mirror. */
  entityName: z.string().nullable(),
  orgName: z.string().nullable(),
  ownerName: z.string().nullable(),
  /** The record in Pipedrive's web app; null for entities without a page. */
  url: z.string().nullable(),
});
export type ReportFinding = z.infer<typeof ReportFinding>;

const OrgRef = z.object({ orgId: int, orgName: z.string(), url: z.string(), tier: int });

/** An open qualifying activity past its due date (plus status.missedGraceDays): the call that never happened. */
export const MissedEntry = OrgRef.extend({
  ruleId: z.string(),
  ruleLabel: z.string(),
  activityId: int,
  subject: z.string(),
  dueDate: z.string(),
  ownerId: int.nullable(),
  ownerName: z.string().nullable(),
});
export type MissedEntry = z.infer<typeof MissedEntry>;

export const OverdueEntry = OrgRef.extend({
  ruleId: z.string(),
  ruleLabel: z.string(),
  category: Category,
  status: CadenceStatus,
  cadenceDays: int,
  gapDays: int.nullable(),
  lastTouchpointDate: isoDate.nullable(),
  nextDueDate: isoDate.nullable(),
  ownerId: int.nullable(),
  ownerName: z.string().nullable(),
  /** Who follow-ups go to: the owner when active, else the policy's fallback user. */
  assigneeId: int.nullable(),
  assigneeName: z.string().nullable(),
  /** An open qualifying activity already scheduled (the worker then creates nothing). */
  openScheduledActivityId: int.nullable(),
  onGap: z.enum(['create', 'report']),
});
export type OverdueEntry = z.infer<typeof OverdueEntry>;

export const CreatedEntry = OrgRef.extend({
  key: z.string(),
  purpose: z.enum(['follow_up', 'renewal', 'escalation', 'handover', 'account_plan']),
  ruleId: z.string().nullable(),
  reason: z.string(),
  subject: z.string(),
  type: z.string(),
  /** The activity type's name as the account spells it ("Reunião"); absent when the mirror does not know it. */
  typeName: z.string().optional(),
  dueDate: z.string(),
  ownerId: int,
  ownerName: z.string().nullable(),
  /** What apply reported for the key; `planned` on dry runs and when apply did not run. */
  outcome: WriteOutcome,
  /** The activity in Pipedrive (created, or adopted from an earlier run). */
  activityId: int.nullable(),
  /** Apply's note (the error of a failed write). */
  outcomeDetail: z.string().nullable(),
});
export type CreatedEntry = z.infer<typeof CreatedEntry>;

export const FlagChangeEntry = OrgRef.extend({ key: z.string(), flag: z.string(), from: z.unknown(), to: z.unknown(), outcome: WriteOutcome });
export type FlagChangeEntry = z.infer<typeof FlagChangeEntry>;

export const TrendEntry = OrgRef.extend({ trend: Trend, last4: count, previous4: count, breadth: count });
export type TrendEntry = z.infer<typeof TrendEntry>;

export const RiskEntry = OrgRef.extend(DescribedRisk.shape);
export type RiskEntry = z.infer<typeof RiskEntry>;

/** A Tier 2 client with the potential to move up (docs/policy.md §10.2, `tierCriteria.upgrade`). */
export const UpgradeCandidateEntry = OrgRef.extend({
  ownerId: int.nullable(),
  ownerName: z.string().nullable(),
  nextTier: int,
  /** Firm currency, and the same 12 months in the threshold currency. */
  revenue12m: z.number(),
  revenue12mThreshold: z.number(),
  revenuePrevious12m: z.number(),
  /** Revenue as a share (0–1) of the next tier's threshold; growth against the 12 months before (null without them). */
  share: z.number(),
  growth: z.number().nullable(),
  reasons: z.array(z.enum(['revenue_share', 'growth'])),
});
export type UpgradeCandidateEntry = z.infer<typeof UpgradeCandidateEntry>;

/** A client whose revenue reached a higher tier than another criterion allowed (docs/policy.md §10.2). */
export const HeldBackEntry = OrgRef.extend({
  ownerId: int.nullable(),
  ownerName: z.string().nullable(),
  heldTier: int,
  criterion: z.enum(['tenure', 'recurrence']),
  /** The tier decision's sentence, which names the criterion. */
  message: z.string(),
});
export type HeldBackEntry = z.infer<typeof HeldBackEntry>;

/** A stalled open deal with its client and the person who should move it (docs/policy.md §10.5). */
export const StalledEntry = OrgRef.extend(StalledDeal.shape).extend({
  /** The deal's owner, else the client's owner: who the list is grouped by. */
  ownerId: int.nullable(),
  ownerName: z.string().nullable(),
  dealUrl: z.string(),
});
export type StalledEntry = z.infer<typeof StalledEntry>;

const StatusCounts = z.object({
  on_track: count,
  due_soon: count,
  overdue: count,
  never: count,
  not_applicable: count,
});

export const ReportV1 = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  generator: z.literal('pipedrive-cadence'),
  runId: z.string(),
  companyId: z.string(),
  /** Origin of the Pipedrive web app the links point at, e.g. https://acme.pipedrive.com */
  appOrigin: z.string(),
  /** The instant the rules ran for, and the firm's calendar date then. */
  now: z.string(),
  today: isoDate,
  locale: Locale,
  timeZone: z.string(),
  currency: z.string(),
  run: RunInfo,
  tiers: z.array(z.object({ level: int, name: z.string() })),
  rules: z.array(z.object({ id: z.string(), label: z.string(), category: Category, onGap: z.enum(['create', 'report']) })),
  /** Touchpoint categories with their labels in the report's language. */
  categories: z.array(z.object({ id: Category, label: z.string() })),
  users: z.array(z.object({ id: int, name: z.string(), active: z.boolean() })),
  summary: z.object({
    organizations: count,
    findings: count,
    /** Clients whose overall status is overdue / never (as in `cadence.matrix` and the CLI). */
    overdue: count,
    never: count,
    /** Rule gaps overdue / never met (the rows of `cadence.overdue`; a client can have several). */
    overdueGaps: count,
    neverGaps: count,
    risks: count,
    plannedWrites: count,
    activitiesCreated: count,
    flagsWritten: count,
  }),
  dataQuality: z.object({
    /** Every finding (organizations' and orphan records'), ordered by owner, client, record. */
    findings: z.array(ReportFinding),
    byOwner: z.array(z.object({ ownerId: int.nullable(), ownerName: z.string().nullable(), count })),
    byField: z.array(z.object({ entity: EntityKind, field: z.string(), count })),
    byProblem: z.array(z.object({ problem: Finding.shape.problem, count })),
    /** Share of clients in each tier whose records have no finding. */
    completenessByTier: z.array(
      z.object({ tier: int, organizations: count, complete: count, percent: z.number().min(0).max(100).nullable() }),
    ),
    unresolvedFields: z.array(z.object({ entity: EntityKind, name: z.string() })),
  }),
  cadence: z.object({
    /** Organizations by tier and overall status. */
    matrix: z.array(z.object({ tier: int, counts: StatusCounts, total: count })),
    /** Applicable rules that are overdue or never touched, largest gap first (never before overdue). */
    overdue: z.array(OverdueEntry),
    /** Missed activities, by owner (name), then due date: one per client and rule (the latest missed). */
    missed: z.array(MissedEntry),
    /** Activities the run created (or would create on a dry run). */
    created: z.array(CreatedEntry),
    deletions: z.array(OrgRef.extend({ key: z.string(), activityId: int, reason: z.string(), outcome: WriteOutcome })),
    flagChanges: z.array(FlagChangeEntry),
    skipped: z.array(z.object({ orgId: int, ruleId: z.string().nullable(), reason: z.string(), code: SkipCode.optional() })),
    planWarnings: z.array(z.string()),
  }),
  engagement: z.object({
    /** ISO weeks (`2026-W47`), oldest first. */
    weeks: z.array(z.string()),
    byTier: z.array(z.object({ tier: int, weeks: z.array(WeekCount) })),
    rising: z.array(TrendEntry),
    falling: z.array(TrendEntry),
    risks: z.array(RiskEntry),
  }),
  /**
   * Tiers as the guide states them (docs/policy.md §10.2): the thresholds' currency, Tier 2 upgrade candidates
   * (largest share of the next threshold first) and clients held below the tier their revenue reached.
   * Optional: absent from reports written before it existed.
   */
  tierReview: z
    .object({
      thresholdCurrency: z.string(),
      /** The policy's `tierCriteria.upgrade`: which tier is looked at, the share of the next threshold and the growth (ratios). */
      upgrade: z.object({ tier: int, revenueShare: z.number(), growth: z.number() }),
      upgradeCandidates: z.array(UpgradeCandidateEntry),
      heldBack: z.array(HeldBackEntry),
    })
    .optional(),
  /**
   * Stalled work (docs/policy.md §10.5): every stalled open deal, grouped by owner (owners by name, then the
   * most overdue deal first), and each owner's counts. Optional: absent from reports written before it.
   */
  stalledWork: z
    .object({
      maxDaysInStage: int,
      closeGraceDays: int,
      deals: z.array(StalledEntry),
      byOwner: z.array(z.object({ ownerId: int.nullable(), ownerName: z.string().nullable(), count, pastClose: count, inStage: count })),
    })
    .optional(),
  /** Each account owner's book, largest first (docs/policy.md §10.5). Optional: absent from older reports. */
  executives: z.array(ExecutiveView).optional(),
  /** The portfolio: strategic share, concentration, revenue trend and tenure per tier (docs/policy.md §10.5). */
  portfolio: PortfolioView.optional(),
  /** Weekly health of the strategic clients, with drops flagged (docs/policy.md §10.5). Optional: absent from older reports. */
  healthTrend: HealthTrend.optional(),
  organizations: z.array(
    OrgAssessment.extend({
      tier: DescribedTier,
      findings: z.array(DescribedFinding),
      risks: z.array(DescribedRisk),
      health: DescribedHealth,
      url: z.string(),
      ownerName: z.string().nullable(),
    }),
  ),
  plan: Plan.nullable(),
  applied: AppliedSummary.nullable(),
});
export type ReportV1 = z.infer<typeof ReportV1>;
