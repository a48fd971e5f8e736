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

export function compileTierRules(policy: Policy, catalogue: FieldCatalogue, cal: ZoneCalendar): TierRules {
  const tierField = catalogue.resolve('organization', policy.tierField.name);
  const tierOptions = new Map(Object.entries(policy.tierField.options).map(([label, level]) => [norm(label), level]));
  const ka = policy.keyAccount;
  const squadTitle = ka.dealTitlePattern ? new RegExp(ka.dealTitlePattern, 'iu') : null;
  const squadLabels = new Set(ka.dealLabelIds);
  const squadField = ka.dealField ? catalogue.resolve('deal', ka.dealField.name) : null;
  const squadValues = new Set((ka.dealField?.values ?? []).map(norm));
  const byLevelDesc = [...policy.tiers].sort((a, b) => b.level - a.level);
  const criteria = policy.tierCriteria;
  const thresholdCurrency = criteria.thresholdCurrency ?? policy.currency;
  // Firm-currency units per threshold-currency unit (the schema refuses a threshold currency without a rate).
  const thresholdRate = toFirmCurrency(1, thresholdCurrency, policy) ?? 1;
  const minRevenueFirm = new Map(policy.tiers.map((t) => [t.level, t.minRevenue12m * thresholdRate]));
  const rec = criteria.recurrence;
  const retainerTitle = rec.retainerTitlePattern ? new RegExp(rec.retainerTitlePattern, 'iu') : null;
  const retainerField = rec.retainerField ? catalogue.resolve('deal', rec.retainerField.name) : null;
  const retainerValues = new Set((rec.retainerField?.values ?? []).map(norm));
  const isRetainer = (d: Deal): boolean =>
    retainerTitle?.test(d.title) === true ||
    (retainerField !== null && valueLabels(retainerField.read(d), retainerField.fieldType, retainerField.options).some((l) => retainerValues.has(norm(l))));
  const upgrade = criteria.upgrade;
  const upgradeNext = [...policy.tiers].sort((a, b) => a.level - b.level).find((t) => t.level > upgrade.tier) ?? null;
  const valueField = catalogue.resolve('deal', 'Value')?.name ?? 'Value';
  const lowest = byLevelDesc[byLevelDesc.length - 1]!;

  const squadReason = (d: Deal): string | null => {
    if (squadTitle?.test(d.title)) return `title "${d.title}" matches ${ka.dealTitlePattern}`;
    const label = d.labelIds.find((l) => squadLabels.has(l));
    if (label !== undefined) return `label ${label}`;
    if (squadField) {
      const hit = valueLabels(squadField.read(d), squadField.fieldType, squadField.options).find((l) => squadValues.has(norm(l)));
      if (hit !== undefined) return `${squadField.name} = "${hit}"`;
    }
    return null;
  };

  const explicitLevel = (org: OrgMirror['org']): { level: number; label: string } | null => {
    if (!tierField) return null;
    for (const label of valueLabels(tierField.read(org), tierField.fieldType, tierField.options)) {
      const level = tierOptions.get(norm(label));
      if (level !== undefined) return { level, label };
    }
    return null;
  };

  return {
    tierField,
    squadField,
    decide({ org, deals, closeDays }, today) {
      const yearAgo = addYears(today, -1);
      const twoYearsAgo = addYears(today, -2);
      const windowStart = today - Math.round((rec.windowMonths * 365.25) / 12);
      const findings: Finding[] = [];
      const unconverted = new Set<string>();
      let revenue = 0;
      let previousRevenue = 0;
      let wonDeals = 0;
      let retainer = false;
      let firstWon: EpochDay | null = null;
      let squad: { deal: Deal; reason: string } | null = null;
      for (let i = 0; i < deals.length; i += 1) {
        const d = deals[i]!;
        const day = closeDays[i] ?? null;
        if (d.status !== 'won' || day === null) continue;
        if (firstWon === null || day < firstWon) firstWon = day;
        if (day > windowStart && day <= today) wonDeals += 1;
        if (!retainer && isRetainer(d)) retainer = true;
        if (day > twoYearsAgo && day <= yearAgo) previousRevenue += toFirmCurrency(d.value, d.currency, policy) ?? 0;
        if (squad === null) {
          const reason = squadReason(d);
          if (reason !== null) squad = { deal: d, reason };
        }
        if (day > yearAgo && day <= today) {
          const v = toFirmCurrency(d.value, d.currency, policy);
          if (v === null) {
            const code = (d.currency ?? '').toUpperCase();
            unconverted.add(code);
            findings.push({
              entity: 'deal',
              entityId: d.id,
              orgId: org.id,
              field: valueField,
              problem: 'unknown_currency',
              detail: `won deal value ${formatAmount(d.value ?? 0)} ${code} has no rate to ${policy.currency} in currencyRates; left out of the 12-month revenue`,
              ownerId: d.ownerId,
              params: { field: valueField, amount: d.value ?? 0, currency: code, firmCurrency: policy.currency },
            });
          } else revenue += v;
        }
      }
      const addDay = cal.dayOfInstant(parseInstant(org.addTime));
      const since = firstWon ?? (Number.isFinite(addDay) ? addDay : today);
      const tenureYears = Math.max(0, Math.round(((today - since) / 365.25) * 100) / 100);
      const revenue12m = Math.round(revenue * 100) / 100;
      const revenue12mThreshold = Math.round((revenue / thresholdRate) * 100) / 100;
      const recurrent = retainer || wonDeals >= rec.minWonDeals;
      const growth = previousRevenue > 0 ? Math.round(((revenue - previousRevenue) / previousRevenue) * 1000) / 1000 : null;
      const base = {
        revenue12m,
        tenureYears,
        unconvertedCurrencies: [...unconverted].sort(),
        thresholdCurrency,
        revenue12mThreshold,
        revenuePrevious12m: Math.round(previousRevenue * 100) / 100,
        wonDeals,
        retainer,
      };
      const candidateOf = (level: number): TierDecision['upgradeCandidate'] => {
        if (level !== upgrade.tier || upgradeNext === null) return null;
        const threshold = minRevenueFirm.get(upgradeNext.level)!;
        const share = threshold > 0 ? Math.round((revenue / threshold) * 1000) / 1000 : 1;
        const reasons: ('revenue_share' | 'growth')[] = [];
        if (share + 1e-9 >= upgrade.revenueShare) reasons.push('revenue_share');
        if (growth !== null && growth + 1e-9 >= upgrade.growth) reasons.push('growth');
        return reasons.length === 0 ? null : { nextTier: upgradeNext.level, share, growth, reasons };
      };

      const explicit = explicitLevel(org);
      if (explicit) {
        const detail = `${tierField!.name} = "${explicit.label}"`;
        const params = { tier: explicit.level, field: tierField!.name, label: explicit.label };
        const decision: TierDecision = { level: explicit.level, rule: 'explicit_field', detail, ...base, params, heldBack: null, upgradeCandidate: candidateOf(explicit.level) };
        return { decision, findings };
      }
      // Tiny epsilon: rates make sums like 9433.96 × 5.3 land a hair under a round threshold.
      const revenueMet = (t: (typeof byLevelDesc)[number]) => revenue + 1e-6 >= minRevenueFirm.get(t.level)!;
      const unmet = (t: (typeof byLevelDesc)[number]): 'tenure' | 'recurrence' | null =>
        tenureYears < t.minTenureYears ? 'tenure' : t.requiresRecurrence && !recurrent ? 'recurrence' : null;
      const byRevenueOnly = byLevelDesc.find(revenueMet) ?? null;
      const matched = byLevelDesc.find((t) => revenueMet(t) && unmet(t) === null);
      const byRevenue = matched ?? lowest;
      const heldBack = byRevenueOnly !== null && byRevenueOnly.level > byRevenue.level ? { level: byRevenueOnly.level, criterion: unmet(byRevenueOnly)! } : null;
      const tenureSource = firstWon === null ? 'since the organization was added' : 'since the first won deal';
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
        const decision: TierDecision = { level: ka.minTier, rule: 'key_account', detail, ...base, params: { tier: ka.minTier, deal: squad.deal.title }, heldBack: null, upgradeCandidate: candidateOf(ka.minTier) };
        return { decision, findings };
      }
      const squadNote = squad ? `; also a key account (won squad deal #${squad.deal.id})` : '';
      const detail = revenueDetail + squadNote;
      const facts = { tier: byRevenue.level, revenue: revenue12m, currency: policy.currency, revenueThreshold: revenue12mThreshold, thresholdCurrency, tenureYears };
      const common = { ...base, heldBack, upgradeCandidate: candidateOf(byRevenue.level) };
      let decision: TierDecision;
      if (heldBack?.criterion === 'tenure') {
        const params = { ...facts, heldTier: heldBack.level, minTenureYears: byRevenueOnly!.minTenureYears };
        decision = { level: byRevenue.level, rule: 'revenue_tenure', detail, ...common, params, textKey: 'held_back_tenure' };
      } else if (heldBack?.criterion === 'recurrence') {
        const params = { ...facts, heldTier: heldBack.level, wonDeals, minWonDeals: rec.minWonDeals, windowMonths: rec.windowMonths };
        decision = { level: byRevenue.level, rule: 'revenue_tenure', detail, ...common, params, textKey: 'held_back_recurrence' };
      } else if (matched) {
        const params = { ...facts, minRevenue: matched.minRevenue12m, minTenureYears: matched.minTenureYears, wonDeals };
        decision = { level: matched.level, rule: 'revenue_tenure', detail, ...common, params };
      } else {
        decision = { level: lowest.level, rule: 'revenue_tenure', detail, ...common, params: facts, textKey: 'lowest_tier' };
      }
      return { decision, findings };
    },
  };
}
