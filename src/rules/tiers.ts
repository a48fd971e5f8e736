/**
 * A client's tier and the rule that decided it (docs/policy.md §2, §10.2), in order of precedence:
 *   1. explicit tier field set by management (option label → level via `tierField.options`);
 *   2. key account: a won "squad" deal (title pattern, label, or deal field value) ⇒ at least `keyAccount.minTier`;
 *   3. revenue, tenure and recurrence: the highest tier whose `minRevenue12m` (in
 *      `tierCriteria.thresholdCurrency`), `minTenureYears` and, with `requiresRecurrence`, recurrence (enough won
 *      deals in the window, or a won retainer) are all met. When the revenue reached a higher tier than the
 *      one the client gets, the decision names the criterion that held it back.
 * Revenue = won deals of the trailing 12 months in the firm currency; deals in a currency without a
 * rate are left out of the sum and reported (TierDecision.unconvertedCurrencies + an `unknown_currency` finding).
 * Thresholds are converted to the firm currency once (`currencyRates`) and revenue is also shown in the
 * threshold currency. Upgrade candidates (`tierCriteria.upgrade`) are flagged on the decision.
 */
import type { Policy } from '../config/policy-schema.js';
import type { Deal } from '../domain/entities.js';
import type { EpochDay, ZoneCalendar } from './calendar.js';
import { addYears, parseInstant } from './calendar.js';
import { formatAmount, toFirmCurrency } from './currency.js';
import type { FieldCatalogue, ResolvedField } from './field-catalogue.js';
import { valueLabels } from './field-values.js';
import type { OrgMirror } from './mirror-index.js';
import type { Finding, TierDecision } from './types.js';

const norm = (s: string) => s.trim().toLowerCase();

export interface TierRules {
  tierField: ResolvedField | null;
  squadField: ResolvedField | null;
  decide(client: OrgMirror, today: EpochDay): { decision: TierDecision; findings: Finding[] };
}

/** The tier policy compiled against the company's fields: patterns, option maps and thresholds in the firm currency. */
interface TierPolicy {
  policy: Policy;
  cal: ZoneCalendar;
  tierField: ResolvedField | null;
  tierOptions: Map<string, number>;
  ka: Policy['keyAccount'];
  squadTitle: RegExp | null;
  squadLabels: Set<number>;
  squadField: ResolvedField | null;
  squadValues: Set<string>;
  byLevelDesc: Policy['tiers'];
  lowest: Policy['tiers'][number];
  rec: Policy['tierCriteria']['recurrence'];
  thresholdCurrency: string;
  /** Firm-currency units per threshold-currency unit. */
  thresholdRate: number;
  minRevenueFirm: Map<number, number>;
  retainerTitle: RegExp | null;
  retainerField: ResolvedField | null;
  retainerValues: Set<string>;
  upgrade: Policy['tierCriteria']['upgrade'];
  upgradeNext: Policy['tiers'][number] | null;
  valueField: string;
}

export function compileTierRules(policy: Policy, catalogue: FieldCatalogue, cal: ZoneCalendar): TierRules {
  const tp = compileTierPolicy(policy, catalogue, cal);
  return {
    tierField: tp.tierField,
    squadField: tp.squadField,
    decide: (client, today) => decideTier(tp, client, today),
  };
}

function compileTierPolicy(policy: Policy, catalogue: FieldCatalogue, cal: ZoneCalendar): TierPolicy {
  const ka = policy.keyAccount;
  const byLevelDesc = [...policy.tiers].sort((a, b) => b.level - a.level);
  const criteria = policy.tierCriteria;
  const thresholdCurrency = criteria.thresholdCurrency ?? policy.currency;
  // Firm-currency units per threshold-currency unit (the schema refuses a threshold currency without a rate).
  const thresholdRate = toFirmCurrency(1, thresholdCurrency, policy) ?? 1;
  const rec = criteria.recurrence;
  const upgrade = criteria.upgrade;
  return {
    policy,
    cal,
    tierField: catalogue.resolve('organization', policy.tierField.name),
    tierOptions: new Map(Object.entries(policy.tierField.options).map(([label, level]) => [norm(label), level])),
    ka,
    squadTitle: ka.dealTitlePattern ? new RegExp(ka.dealTitlePattern, 'iu') : null,
    squadLabels: new Set(ka.dealLabelIds),
    squadField: ka.dealField ? catalogue.resolve('deal', ka.dealField.name) : null,
    squadValues: new Set((ka.dealField?.values ?? []).map(norm)),
    byLevelDesc,
    lowest: byLevelDesc[byLevelDesc.length - 1]!,
    rec,
    thresholdCurrency,
    thresholdRate,
    minRevenueFirm: new Map(policy.tiers.map((t) => [t.level, t.minRevenue12m * thresholdRate])),
    retainerTitle: rec.retainerTitlePattern ? new RegExp(rec.retainerTitlePattern, 'iu') : null,
    retainerField: rec.retainerField ? catalogue.resolve('deal', rec.retainerField.name) : null,
    retainerValues: new Set((rec.retainerField?.values ?? []).map(norm)),
    upgrade,
    upgradeNext: [...policy.tiers].sort((a, b) => a.level - b.level).find((t) => t.level > upgrade.tier) ?? null,
    valueField: catalogue.resolve('deal', 'Value')?.name ?? 'Value',
  };
}

function isRetainer(tp: TierPolicy, d: Deal): boolean {
  const { retainerTitle, retainerField, retainerValues } = tp;
  return (
    retainerTitle?.test(d.title) === true ||
    (retainerField !== null && valueLabels(retainerField.read(d), retainerField.fieldType, retainerField.options).some((l) => retainerValues.has(norm(l))))
  );
}

/** Why a deal is a squad (key-account) deal, or null. */
function squadReason(tp: TierPolicy, d: Deal): string | null {
  const { squadTitle, squadLabels, squadField, squadValues } = tp;
  if (squadTitle?.test(d.title)) return `title "${d.title}" matches ${tp.ka.dealTitlePattern}`;
  const label = d.labelIds.find((l) => squadLabels.has(l));
  if (label !== undefined) return `label ${label}`;
  if (squadField) {
    const hit = valueLabels(squadField.read(d), squadField.fieldType, squadField.options).find((l) => squadValues.has(norm(l)));
    if (hit !== undefined) return `${squadField.name} = "${hit}"`;
  }
  return null;
}

function explicitLevel(tp: TierPolicy, org: OrgMirror['org']): { level: number; label: string } | null {
  const { tierField } = tp;
  if (!tierField) return null;
  for (const label of valueLabels(tierField.read(org), tierField.fieldType, tierField.options)) {
    const level = tp.tierOptions.get(norm(label));
    if (level !== undefined) return { level, label };
  }
  return null;
}

/** What the client's won deals say: revenue (this and last 12 months), recurrence, first win, a squad deal. */
interface WonFacts {
  revenue: number;
  previousRevenue: number;
  wonDeals: number;
  retainer: boolean;
  firstWon: EpochDay | null;
  squad: { deal: Deal; reason: string } | null;
  unconverted: Set<string>;
  findings: Finding[];
}

function wonDealFacts(tp: TierPolicy, { org, deals, closeDays }: OrgMirror, today: EpochDay): WonFacts {
  const { policy, rec, valueField } = tp;
  const yearAgo = addYears(today, -1);
  const twoYearsAgo = addYears(today, -2);
  const windowStart = today - Math.round((rec.windowMonths * 365.25) / 12);
  const f: WonFacts = { revenue: 0, previousRevenue: 0, wonDeals: 0, retainer: false, firstWon: null, squad: null, unconverted: new Set(), findings: [] };
  for (let i = 0; i < deals.length; i += 1) {
    const d = deals[i]!;
    const day = closeDays[i] ?? null;
    if (d.status !== 'won' || day === null) continue;
    if (f.firstWon === null || day < f.firstWon) f.firstWon = day;
    if (day > windowStart && day <= today) f.wonDeals += 1;
    if (!f.retainer && isRetainer(tp, d)) f.retainer = true;
    if (day > twoYearsAgo && day <= yearAgo) f.previousRevenue += toFirmCurrency(d.value, d.currency, policy) ?? 0;
    if (f.squad === null) {
      const reason = squadReason(tp, d);
      if (reason !== null) f.squad = { deal: d, reason };
    }
    if (day > yearAgo && day <= today) {
      const v = toFirmCurrency(d.value, d.currency, policy);
      if (v === null) {
        const code = (d.currency ?? '').toUpperCase();
        f.unconverted.add(code);
        f.findings.push({
          entity: 'deal',
          entityId: d.id,
          orgId: org.id,
          field: valueField,
          problem: 'unknown_currency',
          detail: `won deal value ${formatAmount(d.value ?? 0)} ${code} has no rate to ${policy.currency} in currencyRates; left out of the 12-month revenue`,
          ownerId: d.ownerId,
          params: { field: valueField, amount: d.value ?? 0, currency: code, firmCurrency: policy.currency },
        });
      } else f.revenue += v;
    }
  }
  return f;
}

type UpgradeReasons = NonNullable<TierDecision['upgradeCandidate']>['reasons'];
/** The three possible reason lists of an upgrade candidate, shared (read only) by every client. */
const SHARE_ONLY: UpgradeReasons = Object.freeze(['revenue_share']) as UpgradeReasons;
const GROWTH_ONLY: UpgradeReasons = Object.freeze(['growth']) as UpgradeReasons;
const SHARE_AND_GROWTH: UpgradeReasons = Object.freeze(['revenue_share', 'growth']) as UpgradeReasons;
/** No unconverted currency: the common case, one shared (read only) empty list. */
const NONE: string[] = Object.freeze([]) as unknown as string[];

/** An upgrade candidate at `level`: revenue share of the next tier's threshold, or growth, high enough. */
function upgradeCandidate(tp: TierPolicy, level: number, revenue: number, growth: number | null): TierDecision['upgradeCandidate'] {
  const { upgrade, upgradeNext } = tp;
  if (level !== upgrade.tier || upgradeNext === null) return null;
  const threshold = tp.minRevenueFirm.get(upgradeNext.level)!;
  const share = threshold > 0 ? Math.round((revenue / threshold) * 1000) / 1000 : 1;
  const byShare = share + 1e-9 >= upgrade.revenueShare;
  const byGrowth = growth !== null && growth + 1e-9 >= upgrade.growth;
  if (!byShare && !byGrowth) return null;
  return { nextTier: upgradeNext.level, share, growth, reasons: byShare ? (byGrowth ? SHARE_AND_GROWTH : SHARE_ONLY) : GROWTH_ONLY };
}

/** The figures every tier decision carries. */
interface TierFacts {
  revenue12m: number;
  tenureYears: number;
  unconvertedCurrencies: string[];
  thresholdCurrency: string;
  revenue12mThreshold: number;
  revenuePrevious12m: number;
  wonDeals: number;
  retainer: boolean;
}

function decideTier(tp: TierPolicy, client: OrgMirror, today: EpochDay): { decision: TierDecision; findings: Finding[] } {
  const { org } = client;
  const f = wonDealFacts(tp, client, today);
  const { revenue, previousRevenue, retainer, wonDeals, findings } = f;
  const addDay = tp.cal.dayOfInstant(parseInstant(org.addTime));
  const since = f.firstWon ?? (Number.isFinite(addDay) ? addDay : today);
  const base: TierFacts = {
    revenue12m: Math.round(revenue * 100) / 100,
    tenureYears: Math.max(0, Math.round(((today - since) / 365.25) * 100) / 100),
    unconvertedCurrencies: f.unconverted.size === 0 ? NONE : [...f.unconverted].sort(),
    thresholdCurrency: tp.thresholdCurrency,
    revenue12mThreshold: Math.round((revenue / tp.thresholdRate) * 100) / 100,
    revenuePrevious12m: Math.round(previousRevenue * 100) / 100,
    wonDeals,
    retainer,
  };
  const growth = previousRevenue > 0 ? Math.round(((revenue - previousRevenue) / previousRevenue) * 1000) / 1000 : null;
  const explicit = explicitLevel(tp, org);
  if (explicit) {
    const detail = `${tp.tierField!.name} = "${explicit.label}"`;
    const params = { tier: explicit.level, field: tp.tierField!.name, label: explicit.label };
    const decision: TierDecision = { level: explicit.level, rule: 'explicit_field', detail, ...base, params, heldBack: null, upgradeCandidate: upgradeCandidate(tp, explicit.level, revenue, growth) };
    return { decision, findings };
  }
  return { decision: decideByRevenue(tp, f, base, growth), findings };
}

type TierRow = TierPolicy['byLevelDesc'][number];

/** The criterion besides revenue that keeps a client out of tier `t`, or null when none does. */
function unmetCriterion(t: TierRow, tenureYears: number, recurrent: boolean): 'tenure' | 'recurrence' | null {
  return tenureYears < t.minTenureYears ? 'tenure' : t.requiresRecurrence && !recurrent ? 'recurrence' : null;
}

/** The tier by revenue, tenure and recurrence (or the key-account floor), with the criterion that held it back. */
function decideByRevenue(tp: TierPolicy, f: WonFacts, base: TierFacts, growth: number | null): TierDecision {
  const { policy, byLevelDesc, lowest, rec, thresholdCurrency, ka } = tp;
  const { revenue, wonDeals, retainer, squad } = f;
  const { tenureYears, revenue12m, revenue12mThreshold } = base;
  const recurrent = retainer || wonDeals >= rec.minWonDeals;
  // The highest tier the revenue reaches, and the highest whose other criteria hold too (one loop, no closures: once per client).
  let byRevenueOnly: TierRow | null = null;
  let matched: TierRow | undefined;
  for (const t of byLevelDesc) {
    // Tiny epsilon: rates make sums like 9433.96 × 5.3 land a hair under a round threshold.
    if (revenue + 1e-6 < tp.minRevenueFirm.get(t.level)!) continue;
    byRevenueOnly ??= t;
    if (unmetCriterion(t, tenureYears, recurrent) === null) {
      matched = t;
      break;
    }
  }
  const byRevenue = matched ?? lowest;
  const heldBack = byRevenueOnly !== null && byRevenueOnly.level > byRevenue.level ? { level: byRevenueOnly.level, criterion: unmetCriterion(byRevenueOnly, tenureYears, recurrent)! } : null;
  const tenureSource = f.firstWon === null ? 'since the organization was added' : 'since the first won deal';
  const money = `${formatAmount(revenue)} ${policy.currency}` + (thresholdCurrency === policy.currency ? '' : ` (${formatAmount(revenue12mThreshold)} ${thresholdCurrency})`);
  const factsText = `12-month won revenue ${money}, tenure ${tenureYears} years ${tenureSource}, ${wonDeals} won deal(s) in ${rec.windowMonths} months${retainer ? ', a retainer' : ''}`;
  const heldText = heldBack
    ? `; revenue reaches Tier ${heldBack.level} but ${heldBack.criterion === 'tenure' ? `tenure is below ${byRevenueOnly!.minTenureYears} years` : `it is not recurrent (${rec.minWonDeals} won deals in ${rec.windowMonths} months or a retainer)`}`
    : '';
  const revenueDetail = matched
    ? `${factsText} (Tier ${matched.level} needs ${formatAmount(matched.minRevenue12m)} ${thresholdCurrency} and ${matched.minTenureYears} years${matched.requiresRecurrence ? ' and recurrence' : ''})${heldText}`
    : `${factsText}: below every tier threshold, lowest tier${heldText}`;
  if (squad && ka.minTier > byRevenue.level) {
    const detail = `won squad deal #${squad.deal.id} (${squad.reason})`;
    return { level: ka.minTier, rule: 'key_account', detail, ...base, params: { tier: ka.minTier, deal: squad.deal.title }, heldBack: null, upgradeCandidate: upgradeCandidate(tp, ka.minTier, revenue, growth) };
  }
  const squadNote = squad ? `; also a key account (won squad deal #${squad.deal.id})` : '';
  const detail = revenueDetail + squadNote;
  const facts = { tier: byRevenue.level, revenue: revenue12m, currency: policy.currency, revenueThreshold: revenue12mThreshold, thresholdCurrency, tenureYears };
  const common = { ...base, heldBack, upgradeCandidate: upgradeCandidate(tp, byRevenue.level, revenue, growth) };
  if (heldBack?.criterion === 'tenure') {
    const params = { ...facts, heldTier: heldBack.level, minTenureYears: byRevenueOnly!.minTenureYears };
    return { level: byRevenue.level, rule: 'revenue_tenure', detail, ...common, params, textKey: 'held_back_tenure' };
  }
  if (heldBack?.criterion === 'recurrence') {
    const params = { ...facts, heldTier: heldBack.level, wonDeals, minWonDeals: rec.minWonDeals, windowMonths: rec.windowMonths };
    return { level: byRevenue.level, rule: 'revenue_tenure', detail, ...common, params, textKey: 'held_back_recurrence' };
  }
  if (matched) {
    const params = { ...facts, minRevenue: matched.minRevenue12m, minTenureYears: matched.minTenureYears, wonDeals };
    return { level: matched.level, rule: 'revenue_tenure', detail, ...common, params };
  }
  return { level: lowest.level, rule: 'revenue_tenure', detail, ...common, params: facts, textKey: 'lowest_tier' };
}
