/**
 * Builds the report model from the rules' result, the plan, what apply did and the run's facts. Pure: names
 * come from the mirror snapshot, links from the company domain. `buildReportView` is what the files are
 * written from (the per-record lists built a row at a time, described-rows.ts); `buildJsonReport` is that
 * view collected into one `ReportV1`. The HTML, CSV and JSON read the same view, so their counts are the
 * JSON's counts by construction.
 */
import { CATEGORIES, type Policy } from '../config/policy-schema.js';
import { createDescriber, type Describer } from '../i18n/describe.js';
import type { MirrorSnapshot } from '../domain/entities.js';
import type { Plan } from '../plan/types.js';
import type { OrgAssessment, OverallStatus, RulesResult } from '../rules/types.js';
import { createLookup, type Lookup } from './report-lookup.js';
import { findingRows, organizationRows, riskRows } from './described-rows.js';
import { missedRows, overdueRows, stalledRows, writeRows } from './cadence-rows.js';
import { CLIENTS, materializeReport, type ReportView } from './report-view.js';
import {
  REPORT_SCHEMA_VERSION,
  RunInfo,
  type ReportV1,
  type TrendEntry,
  type AppliedSummary,
  type HeldBackEntry,
  type UpgradeCandidateEntry,
} from './report-schema.js';
import { buildExecutiveViews, buildPortfolio, type ViewsInput } from './views.js';
import { buildHealthTrend } from './health-trend.js';
import { applyStopNotices, type ApplySummary } from '../apply/apply-plan.js';

export interface BuildReportInput {
  runId: string;
  result: RulesResult;
  plan?: Plan | null;
  /** apply's summary; null or absent when the run did not apply. */
  applied?: ApplySummary | null;
  run: RunInfo;
  snapshot: MirrorSnapshot;
  policy: Policy;
  /** `acme` (→ https://acme.pipedrive.com) or the origin of a Pipedrive-compatible server. */
  companyDomain: string;
  /** Stored weekly health scores (ISO week → organization id → score) for the health trend; absent = none. */
  healthHistory?: ReadonlyMap<string, ReadonlyMap<number, number>>;
}

const STATUSES: readonly OverallStatus[] = ['on_track', 'due_soon', 'overdue', 'never', 'not_applicable'];

/** The whole report as one object (the view's lists built): for the tests and small callers. */
export function buildJsonReport(input: BuildReportInput): ReportV1 {
  return materializeReport(buildReportView(input));
}

/** The report with its per-record lists as lazy rows: what writeReports renders and streams. */
export function buildReportView(input: BuildReportInput): ReportView {
  const { result, snapshot, policy } = input;
  const plan = input.plan ?? null;
  const applied = input.applied ? toAppliedSummary(input.applied, createDescriber(policy)) : null;
  const run = RunInfo.parse(input.run);
  const dryRun = run.dryRun || (applied?.dryRun ?? false);
  const lk = createLookup(input);
  const { origin, orgUrl, userName, orgRef, collator } = lk;
  // The sentences people read, from the policy's templates, filled when a row is read (described-rows.ts).
  const describer = createDescriber(policy);
  const tierLevels = [...new Set([...policy.tiers.map((t) => t.level), ...result.organizations.map((o) => o.tier.level)])].sort(
    (a, b) => a - b,
  );
  const dataQuality = dataQualityModel(lk, result, describer, tierLevels);
  const overdue = overdueRows(lk, result);
  const writes = plan?.writes ?? [];
  const engagement = engagementModel(lk, result, describer);
  // Per executive and portfolio (docs/policy.md §10.5) ------------------------------------------------
  const viewsInput: ViewsInput = {
    organizations: result.organizations,
    plan,
    policy,
    tierLevels,
    userName,
    userActive: (id) => (id === null ? false : (snapshot.users.get(id)?.active ?? false)),
    orgUrl,
    collator,
  };

  const report: ReportView = {
    ...reportHeading(input, origin, { ...run, dryRun }),
    summary: summaryOf(result, dataQuality, overdue, engagement, writes.length, dryRun ? null : applied),
    dataQuality,
    cadence: {
      matrix: statusMatrix(result, tierLevels),
      overdue: overdue.rows,
      missed: missedRows(lk, result),
      ...writeRows(lk, writes, applied),
      skipped: plan?.skipped ?? [],
      planWarnings: (plan?.warnings ?? []).map((n) => describer.notice(n)),
    },
    engagement,
    tierReview: {
      thresholdCurrency: policy.tierCriteria.thresholdCurrency ?? policy.currency,
      upgrade: { ...policy.tierCriteria.upgrade },
      ...tierReviewEntries(lk, result, describer),
    },
    stalledWork: { ...policy.stalledWork, ...stalledRows(lk, result) },
    executives: buildExecutiveViews(viewsInput),
    portfolio: buildPortfolio(viewsInput),
    healthTrend: buildHealthTrend({
      organizations: result.organizations,
      today: result.today,
      policy,
      history: input.healthHistory ?? new Map(),
      orgRef,
      userName,
      collator,
    }),
    organizations: organizationRows(lk, result, describer),
    plan,
    applied,
  };
  // For the HTML's lists that name a client by id; not part of the JSON (a symbol key).
  Object.defineProperty(report, CLIENTS, { value: lk.assessment, enumerable: false });
  // Typed against the schema's output; the tests hold every report they build (and every file written) to
  // ReportV1.parse. Parsing here would need the whole report built (200k findings on a 50k-client company:
  // seconds of CPU and the memory this view avoids) to learn nothing the type does not already say.
  return report;
}

/** The counts at the top of the report; `applied` is null when nothing was written (no apply, or a dry run). */
function summaryOf(
  result: RulesResult,
  dataQuality: ReportView['dataQuality'],
  overdue: { overdueGaps: number; neverGaps: number },
  engagement: ReportView['engagement'],
  plannedWrites: number,
  applied: AppliedSummary | null,
): ReportV1['summary'] {
  return {
    organizations: result.organizations.length,
    findings: dataQuality.findings.length,
    // Clients, by their overall status: the same count as the tier × status table and the CLI.
    overdue: result.organizations.filter((o) => o.overallStatus === 'overdue').length,
    never: result.organizations.filter((o) => o.overallStatus === 'never').length,
    // Rule gaps (a client can have several): the rows of the overdue list.
    overdueGaps: overdue.overdueGaps,
    neverGaps: overdue.neverGaps,
    risks: engagement.risks.length,
    plannedWrites,
    activitiesCreated: applied ? (applied.counts.created ?? 0) : 0,
    flagsWritten: applied ? (applied.counts.updated ?? 0) : 0,
  };
}

/** The report's fixed part: identity, time, language, the run, and the policy's tiers, rules, categories and users. */
function reportHeading(input: BuildReportInput, origin: string, run: ReportV1['run']) {
  const { result, snapshot, policy } = input;
  const locale = policy.locale;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generator: 'pipedrive-cadence' as const,
    runId: input.runId,
    companyId: snapshot.companyId,
    appOrigin: origin,
    now: result.now,
    today: result.today,
    locale,
    timeZone: result.timeZone,
    currency: policy.currency,
    run,
    tiers: [...policy.tiers].sort((a, b) => a.level - b.level).map((t) => ({ level: t.level, name: t.name[locale] })),
    rules: Object.entries(policy.cadenceRules).map(([id, r]) => ({ id, label: r.label[locale], category: r.category, onGap: r.onGap })),
    categories: CATEGORIES.map((id) => ({ id, label: policy.categories[id].label[locale] })),
    users: [...snapshot.users.values()]
      .map((u) => ({ id: u.id, name: u.name, active: u.active }))
      .sort((a, b) => a.id - b.id),
  };
}

/** The data-quality part: the findings, their counts per owner, field and problem, and completeness per tier. */
function dataQualityModel(lk: Lookup, result: RulesResult, describer: Describer, tierLevels: readonly number[]): ReportView['dataQuality'] {
  const { findings, byOwner, byField, byProblem } = findingRows(lk, result, describer);
  const completenessByTier = tierLevels.map((tier) => {
    const inTier = result.organizations.filter((o) => o.tier.level === tier);
    const complete = inTier.filter((o) => o.findings.length === 0).length;
    return {
      tier,
      organizations: inTier.length,
      complete,
      percent: inTier.length === 0 ? null : Math.round((complete / inTier.length) * 1000) / 10,
    };
  });
  return { findings, byOwner, byField, byProblem, completenessByTier, unresolvedFields: result.unresolvedFields };
}

/** Clients per tier and overall status. */
function statusMatrix(result: RulesResult, tierLevels: readonly number[]): ReportV1['cadence']['matrix'] {
  return tierLevels.map((tier) => {
    const counts = { on_track: 0, due_soon: 0, overdue: 0, never: 0, not_applicable: 0 };
    for (const o of result.organizations) if (o.tier.level === tier) counts[o.overallStatus] += 1;
    return { tier, counts, total: STATUSES.reduce((n, s) => n + counts[s], 0) };
  });
}

/** Weekly volume per tier, rising and falling clients, and every risk. */
function engagementModel(lk: Lookup, result: RulesResult, describer: Describer): ReportView['engagement'] {
  const { collator, orgRef } = lk;
  const weeks = (result.engagementByTier[0]?.weeks ?? result.organizations[0]?.engagement.weeks ?? []).map((w) => w.week);
  const trendEntry = (o: OrgAssessment): TrendEntry => ({
    ...orgRef(o.orgId),
    trend: o.engagement.trend,
    last4: o.engagement.last4,
    previous4: o.engagement.previous4,
    breadth: o.engagement.breadth,
  });
  const rising = result.organizations
    .filter((o) => o.engagement.trend === 'rising')
    .map(trendEntry)
    .sort((a, b) => b.last4 - b.previous4 - (a.last4 - a.previous4) || collator.compare(a.orgName, b.orgName));
  const falling = result.organizations
    .filter((o) => o.engagement.trend === 'falling')
    .map(trendEntry)
    .sort((a, b) => b.previous4 - b.last4 - (a.previous4 - a.last4) || collator.compare(a.orgName, b.orgName));
  return { weeks, byTier: result.engagementByTier, rising, falling, risks: riskRows(lk, result, describer) };
}

/** Tier review (docs/policy.md §10.2): upgrade candidates and clients held below their revenue tier. */
function tierReviewEntries(
  lk: Lookup,
  result: RulesResult,
  describer: Describer,
): { upgradeCandidates: UpgradeCandidateEntry[]; heldBack: HeldBackEntry[] } {
  const { collator, orgRef, userName } = lk;
  const upgradeCandidates: UpgradeCandidateEntry[] = [];
  const heldBack: HeldBackEntry[] = [];
  for (const o of result.organizations) {
    const t = o.tier;
    if (t.upgradeCandidate) {
      upgradeCandidates.push({
        ...orgRef(o.orgId),
        ownerId: o.ownerId,
        ownerName: userName(o.ownerId),
        nextTier: t.upgradeCandidate.nextTier,
        revenue12m: t.revenue12m,
        revenue12mThreshold: t.revenue12mThreshold ?? t.revenue12m,
        revenuePrevious12m: t.revenuePrevious12m ?? 0,
        share: t.upgradeCandidate.share,
        growth: t.upgradeCandidate.growth,
        reasons: t.upgradeCandidate.reasons,
      });
    }
    if (t.heldBack) {
      heldBack.push({ ...orgRef(o.orgId), ownerId: o.ownerId, ownerName: userName(o.ownerId), heldTier: t.heldBack.level, criterion: t.heldBack.criterion, message: describer.tier(t) });
    }
  }
  upgradeCandidates.sort((a, b) => b.share - a.share || (b.growth ?? -Infinity) - (a.growth ?? -Infinity) || collator.compare(a.orgName, b.orgName));
  heldBack.sort((a, b) => b.heldTier - a.heldTier || collator.compare(a.orgName, b.orgName));
  return { upgradeCandidates, heldBack };
}

/** apply's summary as the report's contract (explicit nulls, only the fields the report promises). */
function toAppliedSummary(s: ApplySummary, describer: Describer): AppliedSummary {
  const stops = applyStopNotices(s);
  return {
    dryRun: s.dryRun,
    // In the report's language; the detail of an abort (an error from Pipedrive or the network) stays as it came.
    refused: stops.refused && describer.notice(stops.refused),
    aborted: stops.aborted && describer.notice(stops.aborted),
    planned: s.planned,
    counts: { ...s.counts },
    duplicatesRemoved: s.duplicatesRemoved,
    results: s.results.map((r) => ({
      key: r.key,
      kind: r.kind,
      orgId: r.orgId,
      outcome: r.outcome,
      pipedriveId: r.pipedriveId ?? null,
      detail: r.detail ?? null,
    })),
  };
}
