/**
 * A client's tier and the rule that decided it (docs/policy.md §2), in order of precedence:
 *   1. explicit tier field set by management (option label → level via `tierField.options`);
 *   2. key account: a won "squad" deal (title pattern, label, or deal field value) ⇒ at least `keyAccount.minTier`;
 *   3. revenue and tenure: the highest tier whose `minRevenue12m` and `minTenureYears` are both met.
 * Revenue = won deals of the trailing 12 months in the firm currency; deals in a currency without a
 * rate are left out of the sum and reported (TierDecision.unconvertedCurrencies + an `unknown_currency` finding).
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
      const findings: Finding[] = [];
      const unconverted = new Set<string>();
      let revenue = 0;
      let firstWon: EpochDay | null = null;
      let squad: { deal: Deal; reason: string } | null = null;
      for (let i = 0; i < deals.length; i += 1) {
        const d = deals[i]!;
        const day = closeDays[i] ?? null;
        if (d.status !== 'won' || day === null) continue;
        if (firstWon === null || day < firstWon) firstWon = day;
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
      const base = { revenue12m, tenureYears, unconvertedCurrencies: [...unconverted].sort() };

      const explicit = explicitLevel(org);
      if (explicit) {
        const detail = `${tierField!.name} = "${explicit.label}"`;
        const params = { tier: explicit.level, field: tierField!.name, label: explicit.label };
        return { decision: { level: explicit.level, rule: 'explicit_field', detail, ...base, params }, findings };
      }
      // Tiny epsilon: rates make sums like 9433.96 × 5.3 land a hair under a round threshold.
      const meets = (t: (typeof byLevelDesc)[number]) => revenue + 1e-6 >= t.minRevenue12m && tenureYears >= t.minTenureYears;
      const matched = byLevelDesc.find(meets);
      const byRevenue = matched ?? lowest;
      const tenureSource = firstWon === null ? 'since the organization was added' : 'since the first won deal';
      const factsText = `12-month won revenue ${formatAmount(revenue)} ${policy.currency}, tenure ${tenureYears} years ${tenureSource}`;
      const revenueDetail = matched
        ? `${factsText} (Tier ${matched.level} needs ${formatAmount(matched.minRevenue12m)} and ${matched.minTenureYears} years)`
        : `${factsText}: below every tier threshold, lowest tier`;
      if (squad && ka.minTier > byRevenue.level) {
        const detail = `won squad deal #${squad.deal.id} (${squad.reason})`;
        return { decision: { level: ka.minTier, rule: 'key_account', detail, ...base, params: { tier: ka.minTier, deal: squad.deal.title } }, findings };
      }
      const squadNote = squad ? `; also a key account (won squad deal #${squad.deal.id})` : '';
      const detail = revenueDetail + squadNote;
      const facts = { tier: byRevenue.level, revenue: revenue12m, currency: policy.currency, tenureYears };
      const decision: TierDecision = matched
        ? { level: matched.level, rule: 'revenue_tenure', detail, ...base, params: { ...facts, minRevenue: matched.minRevenue12m, minTenureYears: matched.minTenureYears } }
        : { level: lowest.level, rule: 'revenue_tenure', detail, ...base, params: facts, textKey: 'lowest_tier' };
      return { decision, findings };
    },
  };
}
