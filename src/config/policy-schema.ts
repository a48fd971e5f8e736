/**
 * The relationship policy (docs/policy.md) as a zod schema. `config/policy.yaml` is parsed with it
 * at start-up; every number in the shipped file is a default of that policy.
 */
import { z } from 'zod';
import {
  FINDING_TEXT_KEYS,
  FINDING_TEXTS,
  HEALTH_PART_TEXTS,
  NOTICE_CODES,
  NOTICE_TEXTS,
  RISK_TEXT_KEYS,
  RISK_TEXTS,
  TIER_TEXT_KEYS,
  TIER_TEXTS,
  templatePlaceholders,
} from '../i18n/message-keys.js';
import { HEALTH_PART_KINDS } from '../domain/vocabulary.js';
import { LOCALES, Locale } from '../i18n/locales.js';


export const CATEGORIES = ['operational', 'strategic', 'executive', 'maintenance'] as const;
export const Category = z.enum(CATEGORIES);
export type Category = z.infer<typeof Category>;

const positiveInt = z.number({ error: 'expected a positive integer' }).int('expected a positive integer').positive('expected a positive integer');
const nonNegative = z.number({ error: 'expected a number ≥ 0' }).min(0, 'expected a number ≥ 0');
const ratio = z.number({ error: 'expected a number between 0 and 1' }).min(0).max(1);
const nonEmpty = z.string({ error: 'expected a non-empty string' }).min(1, 'expected a non-empty string');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const regexSource = nonEmpty.refine(
  (s) => {
    try {
      new RegExp(s, 'iu');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a valid regular expression' },
);
/** A user named by e-mail (stable across accounts) or by Pipedrive user id. */
const UserRef = z.union([z.email({ error: 'expected a user e-mail or a positive user id' }), positiveInt], {
  error: 'expected a user e-mail or a positive user id',
});
export type UserRef = z.infer<typeof UserRef>;

/** Text in each shipped language. */
const Localized = z.strictObject({ 'pt-BR': nonEmpty, en: nonEmpty });
export type Localized = z.infer<typeof Localized>;

const CategoryMatch = z.strictObject({
  /** Activity type `key_string`s. */
  activityTypes: z.array(nonEmpty).min(1, 'expected at least one activity type'),
  /** Optional: the subject must match this (case-insensitive) regular expression. */
  subjectPattern: regexSource.optional(),
});

const CategoryDef = z.strictObject({
  label: Localized,
  /** An activity belongs to the category when it matches any entry. */
  match: z.array(CategoryMatch).min(1, 'expected at least one match entry'),
});

const CadenceRule = z.strictObject({
  label: Localized,
  category: Category,
  /** Optional narrower subject pattern (e.g. annual planning within executive touchpoints). */
  subjectPattern: regexSource.optional(),
  /** `create` a follow-up activity, or `report` only (flag + report line). */
  onGap: z.enum(['create', 'report']),
  /** Activity type of the follow-up the worker creates; must qualify for the rule. */
  followUpType: nonEmpty,
});

const TierCadence = z.strictObject({
  days: positiveInt,
  /** Only while the client has an open deal or a deal won in the last `activeClientWindowDays`. */
  activeOnly: z.boolean().default(false),
});

const Tier = z.strictObject({
  level: z.number().int().min(1).max(9),
  name: Localized,
  /** Trailing-12-month won-deal value (firm currency) at which a client reaches this tier. */
  minRevenue12m: nonNegative,
  /** Minimum client tenure in years (time since first won deal, else org add time). */
  minTenureYears: nonNegative.default(0),
  /** The client must buy recurrently (docs/policy.md §10.2): `tierCriteria.recurrence` won deals, or a retainer. */
  requiresRecurrence: z.boolean().default(false),
  /** Max days between touchpoints, by cadence rule id. Rules absent here do not apply to the tier. */
  cadence: z.record(z.string(), TierCadence).default({}),
});
export type TierPolicy = z.infer<typeof Tier>;

const RequiredField = z.strictObject({
  /** Field name as the admin sees it in Pipedrive. */
  field: nonEmpty,
  /** Only for these tiers (all tiers when omitted). */
  tiers: z.array(z.number().int().min(1)).optional(),
});

const FlagField = z.strictObject({ name: nonEmpty });

/** One required template per key: a language that lacks one fails at start-up, naming the key. */
function templatesFor<K extends string>(keys: readonly K[]) {
  return z.strictObject(Object.fromEntries(keys.map((k) => [k, nonEmpty])) as Record<K, typeof nonEmpty>);
}

/** Placeholders each group's templates may use (src/i18n/message-keys.ts), checked when the policy loads. */
const MESSAGE_PLACEHOLDERS = {
  findings: FINDING_TEXTS,
  risks: RISK_TEXTS,
  tierRules: TIER_TEXTS,
  healthParts: HEALTH_PART_TEXTS,
  notices: NOTICE_TEXTS,
} as const satisfies Record<string, Record<string, readonly string[]>>;

const Templates = z.strictObject({
  followUpSubject: nonEmpty,
  followUpSubjectNever: nonEmpty,
  renewalSubject: nonEmpty,
  escalationSubject: nonEmpty,
  noteTitle: nonEmpty,
  noteLastTouchpoint: nonEmpty,
  noteNoTouchpoint: nonEmpty,
  /** A follow-up that replaces a missed activity says which: `{subject}`, `{owner}`, `{date}`, `{id}`. */
  noteMissed: nonEmpty,
  /** A rule's `never` status where a person reads it, naming the category: "No {category} touchpoint on record". */
  statusNeverCategory: nonEmpty,
  /** Beside it, the client's last touchpoint of any kind: "last touchpoint of any kind: {date}". */
  lastAnyTouchpoint: nonEmpty,
  noteEngagement: nonEmpty,
  noteRisks: nonEmpty,
  noteNoRisks: nonEmpty,
  noteChecklistTitle: nonEmpty,
  noteProvenance: nonEmpty,
  renewalNote: nonEmpty,
  escalationNote: nonEmpty,
  checklist: z.array(nonEmpty).min(1),
  status: z.strictObject({ on_track: nonEmpty, due_soon: nonEmpty, overdue: nonEmpty, never: nonEmpty, not_applicable: nonEmpty }),
  trend: z.strictObject({ rising: nonEmpty, stable: nonEmpty, falling: nonEmpty }),
  dataQuality: z.strictObject({ ok: nonEmpty, issues: nonEmpty }),
  /**
   * What the rules found, in words: by finding problem (or narrower case), risk kind, tier rule and
   * health-score part, with `{placeholders}` filled from the record's params (src/i18n/message-keys.ts).
   * Used by the reports and the activity notes; no trailing period (they are joined into lines).
   */
  findings: templatesFor(FINDING_TEXT_KEYS),
  risks: templatesFor(RISK_TEXT_KEYS),
  tierRules: templatesFor(TIER_TEXT_KEYS),
  healthParts: templatesFor(HEALTH_PART_KINDS),
  /** What the job says about its own run (src/i18n/message-keys.ts NOTICE_TEXTS): English in logs, the policy's language in reports. */
  notices: templatesFor(NOTICE_CODES),
  /** Report labels, by key; the report writer looks them up and falls back to the key. */
  report: z.record(z.string(), z.string()),
});
export type Templates = z.infer<typeof Templates>;

export const PolicySchema = z
  .strictObject({
    version: z.literal(1, { error: 'expected 1 (the policy file format version)' }),
    locale: Locale.default('pt-BR'),
    /** IANA time zone that decides "today", "this week" and business days. */
    timeZone: nonEmpty.default('America/Sao_Paulo'),
    /** Firm currency (ISO 4217). */
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code like BRL').default('BRL'),
    /** 1 unit of the key currency = value units of the firm currency. */
    currencyRates: z.record(z.string().regex(/^[A-Z]{3}$/), z.number().positive()).default({}),
    owners: z.strictObject({
      fallbackUser: UserRef,
      escalationUser: UserRef,
    }),
    tiers: z.array(Tier).min(1, 'expected at least one tier'),
    /** How the revenue/tenure rule reads its thresholds and which other criteria it checks (docs/policy.md §10.2). */
    tierCriteria: z
      .strictObject({
        /**
         * Currency of `tiers[].minRevenue12m` (ISO 4217); deals are converted with `currencyRates`. Absent: the
         * firm currency (a policy file written before this key keeps its meaning). The shipped policy says USD.
         */
        thresholdCurrency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code like USD').optional(),
        /** Recurrence (for tiers with `requiresRecurrence`): this many won deals within `windowMonths`, or one won retainer. */
        recurrence: z
          .strictObject({
            minWonDeals: positiveInt.default(2),
            windowMonths: positiveInt.default(24),
            /** A won deal is a retainer when its title matches (case-insensitive) or the deal field holds one of the values. */
            retainerTitlePattern: regexSource.optional(),
            retainerField: z.strictObject({ name: nonEmpty, values: z.array(nonEmpty).min(1) }).optional(),
          })
          .prefault({}),
        /**
         * Upgrade candidates: clients of `tier` whose 12-month revenue is at least `revenueShare` of the next
         * tier's threshold, or grew by at least `growth` against the 12 months before.
         */
        upgrade: z
          .strictObject({ tier: positiveInt.default(2), revenueShare: ratio.default(0.75), growth: nonNegative.default(0.25) })
          .prefault({}),
      })
      .prefault({}),
    tierField: z.strictObject({
      /** Organization custom field holding an explicit tier set by management. */
      name: nonEmpty,
      /** Option label → tier level. */
      options: z.record(z.string(), z.number().int().min(1)),
    }),
    keyAccount: z.strictObject({
      /** A client that contracted a squad is at least this tier. */
      minTier: z.number().int().min(1),
      /** A won deal is a squad when its title matches, it carries one of the labels, or the field holds one of the values. */
      dealTitlePattern: regexSource.optional(),
      dealLabelIds: z.array(z.number().int()).default([]),
      dealField: z.strictObject({ name: nonEmpty, values: z.array(nonEmpty).min(1) }).optional(),
    }),
    stakeholders: z.strictObject({
      roleField: nonEmpty,
      strengthField: nonEmpty,
      decisionMakerRoles: z.array(nonEmpty).min(1),
      championRoles: z.array(nonEmpty).default([]),
      atRiskStrengths: z.array(nonEmpty).min(1),
    }),
    categories: z.strictObject({
      operational: CategoryDef,
      strategic: CategoryDef,
      executive: CategoryDef,
      maintenance: CategoryDef,
    }),
    cadenceRules: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a rule id like strategic-fup'), CadenceRule),
    status: z.strictObject({
      dueSoonDays: nonNegative.default(7),
      /** An open qualifying activity counts as scheduled until its due date plus this many days; then it is missed. */
      missedGraceDays: z.number({ error: 'expected a whole number ≥ 0' }).int('expected a whole number ≥ 0').min(0, 'expected a whole number ≥ 0').default(0),
    }),
    activeClientWindowDays: positiveInt.default(90),
    engagement: z.strictObject({
      weeks: positiveInt.default(8),
      /** last-4 vs previous-4 change (ratio) above which the trend is rising. */
      risingThreshold: nonNegative.default(0.25),
      /** change below minus this is falling. */
      fallingThreshold: nonNegative.default(0.25),
      /** …and only when the counts differ by at least this many touchpoints (1 vs 1 is no trend). */
      minChange: nonNegative.default(2),
      breadthDays: positiveInt.default(90),
    }),
    risks: z.strictObject({
      keyPersonDays: positiveInt.default(90),
      decisionMakerDays: positiveInt.default(90),
      decisionMakerMinTier: positiveInt.default(3),
      collisionUsers: positiveInt.default(3),
      renewalWindowDays: positiveInt.default(180),
      lostDealDays: positiveInt.default(180),
      /** a deal won in the last year below this share of the previous one counts as shrinking */
      shrinkingRatio: ratio.default(0.7),
    }),
    /** Stalled work (docs/policy.md §10.5): an open deal past its expected close date, or in one stage too long → risk. */
    stalledWork: z
      .strictObject({
        /** Days a deal may stay in one stage (since its stage-change time, else since it was added). */
        maxDaysInStage: positiveInt.default(60),
        /** Days past the expected close date before an open deal counts as late (0: the day after). */
        closeGraceDays: z.number().int().min(0).default(0),
      })
      .prefault({}),
    /** The report's per-executive and portfolio views (docs/policy.md §10.5). */
    views: z
      .strictObject({
        /** Tiers from this level up are the strategic clients (portfolio share, health history). */
        strategicMinTier: positiveInt.default(3),
        /** The concentration measure: share of revenue from this many largest clients. */
        topClients: positiveInt.default(10),
        /** Health over time: weeks drawn for each strategic client, the drop (points below the best of those weeks) flagged, weeks kept. */
        healthWeeks: positiveInt.default(13),
        healthDropPoints: positiveInt.default(15),
        healthKeepWeeks: positiveInt.default(105),
      })
      .prefault({}),
    renewal: z.strictObject({
      contractEndField: nonEmpty,
      windowDays: positiveInt.default(180),
      activityType: nonEmpty,
    }),
    followUp: z.strictObject({
      /** Due date = this many business days after today, in the firm's time zone. */
      dueInBusinessDays: z.number().int().min(0).default(1),
      /** ISO weekdays that are business days (1 = Monday). */
      businessDays: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
      holidays: z.array(isoDate).default([]),
      /** What to do with an untouched auto-created follow-up whose gap cleared. */
      whenCleared: z.enum(['delete', 'leave']).default('delete'),
    }),
    escalation: z.strictObject({
      afterDays: positiveInt.default(7),
      activityType: nonEmpty,
    }),
    requiredFields: z.strictObject({
      organization: z.array(RequiredField).default([]),
      person: z.array(RequiredField).default([]),
      deal: z.array(RequiredField).default([]),
    }),
    flags: z.strictObject({
      cadenceStatus: FlagField,
      lastTouchpoint: FlagField,
      nextDue: FlagField,
      engagement4w: FlagField,
      engagementTrend: FlagField,
      dataQuality: FlagField,
      dataQualityIssues: FlagField,
      healthScore: FlagField,
    }),
    health: z.strictObject({
      /** Points subtracted from 100. */
      perOverdueRule: nonNegative.default(15),
      perNeverRule: nonNegative.default(20),
      perDueSoonRule: nonNegative.default(3),
      fallingEngagement: nonNegative.default(10),
      perRisk: nonNegative.default(8),
      perDataQualityFinding: nonNegative.default(2),
      maxDataQualityPenalty: nonNegative.default(20),
    }),
    /** What `cadence setup` may create besides the flag fields: nothing the policy does not list here. */
    setup: z
      .strictObject({
        /** Activity types (key_string) setup creates when missing; any other missing type is reported, never created. */
        createActivityTypes: z.array(nonEmpty).default([]),
      })
      .default({ createActivityTypes: [] }),
    writes: z.strictObject({
      /** apply refuses a plan with more writes than this unless forced. */
      maxWrites: positiveInt.default(500),
    }),
    texts: z.strictObject({ 'pt-BR': Templates, en: Templates }),
  })
  .superRefine((p, ctx) => {
    const levels = p.tiers.map((t) => t.level);
    p.tiers.forEach((t, i) => {
      if (levels.indexOf(t.level) !== i) ctx.addIssue({ code: 'custom', path: ['tiers', i, 'level'], message: `duplicate tier level ${t.level}` });
      for (const ruleId of Object.keys(t.cadence)) {
        if (!(ruleId in p.cadenceRules)) {
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', i, 'cadence', ruleId],
            message: `unknown cadence rule "${ruleId}" (defined rules: ${Object.keys(p.cadenceRules).join(', ')})`,
          });
        }
      }
    });
    for (const [label, level] of Object.entries(p.tierField.options)) {
      if (!levels.includes(level)) ctx.addIssue({ code: 'custom', path: ['tierField', 'options', label], message: `no tier with level ${level}` });
    }
    const thresholdCurrency = p.tierCriteria.thresholdCurrency;
    if (thresholdCurrency !== undefined && thresholdCurrency !== p.currency && p.currencyRates[thresholdCurrency] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['tierCriteria', 'thresholdCurrency'],
        message: `no rate for ${thresholdCurrency} in currencyRates: add currencyRates.${thresholdCurrency} (${p.currency} per ${thresholdCurrency}) or set thresholdCurrency to ${p.currency}`,
      });
    }
    if (!levels.includes(p.keyAccount.minTier)) {
      ctx.addIssue({ code: 'custom', path: ['keyAccount', 'minTier'], message: `no tier with level ${p.keyAccount.minTier}` });
    }
    for (const locale of LOCALES) {
      for (const [group, byKey] of Object.entries(MESSAGE_PLACEHOLDERS)) {
        const templates = p.texts[locale][group as keyof typeof MESSAGE_PLACEHOLDERS] as Record<string, string>;
        for (const [key, allowed] of Object.entries(byKey) as [string, readonly string[]][]) {
          const unknown = templatePlaceholders(templates[key] ?? '').filter((name) => !allowed.includes(name));
          if (unknown.length === 0) continue;
          ctx.addIssue({
            code: 'custom',
            path: ['texts', locale, group, key],
            message:
              `unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')}: ` +
              (allowed.length === 0 ? 'this text takes no placeholders' : `this text can use ${allowed.map((a) => `{${a}}`).join(', ')}`),
          });
        }
      }
    }
    try {
      new Intl.DateTimeFormat('en', { timeZone: p.timeZone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: `expected an IANA time zone like America/Sao_Paulo, got "${p.timeZone}"` });
    }
  });

export type Policy = z.infer<typeof PolicySchema>;
export type CadenceRulePolicy = Policy['cadenceRules'][string];
