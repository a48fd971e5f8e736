import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import type { Deal, Organization } from '../../../src/domain/entities.js';
import { PolicySchema, type Policy } from '../../../src/config/policy-schema.js';
import { F, SERVICE, TIER_OPT, clock, deal, org, policy, snapshot, wonDeal } from './fixtures.js';

const TODAY = '2026-03-10';

function tierOf(o: Organization, deals: Deal[], p: Policy = policy()) {
  const r = assessCompany(p, snapshot({ orgs: [o], deals }), clock(TODAY));
  return r.organizations[0]!;
}

// A client for 6 years (first won deal in 2020) unless the case says otherwise.
const old = (id: number) => wonDeal({ id, orgId: 1, won: '2020-01-15', value: 1 });

describe('tier precedence (docs/policy.md §2)', () => {
  it.each([
    ['explicit Tier field wins over revenue', { [F.tier]: TIER_OPT['Tier 2'] }, [old(1), wonDeal({ id: 2, orgId: 1, won: '2026-01-10', value: 5_000_000 })], 2, 'explicit_field'],
    ['explicit Tier field wins over a squad', { [F.tier]: TIER_OPT['Tier 1'] }, [wonDeal({ id: 2, orgId: 1, won: '2026-01-10', title: 'Squad Alpha' })], 1, 'explicit_field'],
    ['explicit field read from an {id,label} value', { [F.tier]: { id: TIER_OPT['Tier 4'], label: 'Tier 4' } }, [], 4, 'explicit_field'],
    ['an option the policy does not map falls through to the revenue rule', { [F.tier]: TIER_OPT.Unassigned }, [], 1, 'revenue_tenure'],
    ['an unknown option id falls through', { [F.tier]: 999 }, [], 1, 'revenue_tenure'],
    ['squad by title ⇒ at least Tier 3', {}, [wonDeal({ id: 2, orgId: 1, won: '2024-01-10', title: 'Squad Alpha — 2024', value: 10 })], 3, 'key_account'],
    ['squad by the Service line field', {}, [wonDeal({ id: 2, orgId: 1, won: '2024-01-10', customFields: { [F.serviceLine]: SERVICE.Squad } })], 3, 'key_account'],
    ['"squadron" is no squad (word boundary)', {}, [wonDeal({ id: 2, orgId: 1, won: '2024-01-10', title: 'Squadron project' })], 1, 'revenue_tenure'],
    ['an open squad deal is not contracted yet', {}, [deal({ id: 2, orgId: 1, title: 'Squad Beta' })], 1, 'revenue_tenure'],
    ['a lost squad deal does not count', {}, [deal({ id: 2, orgId: 1, status: 'lost', title: 'Squad Beta', lostTime: '2026-01-01T00:00:00Z' })], 1, 'revenue_tenure'],
    ['a deleted squad deal does not count', {}, [wonDeal({ id: 2, orgId: 1, won: '2025-06-01', title: 'Squad', isDeleted: true })], 1, 'revenue_tenure'],
    [
      'revenue above the squad floor: the revenue rule decides',
      {},
      [old(1), wonDeal({ id: 2, orgId: 1, won: '2026-01-10', title: 'Squad', value: 1_200_000, currency: 'USD' })],
      4,
      'revenue_tenure',
    ],
  ])('%s', (_name, custom, deals, level, rule) => {
    const t = tierOf(org({ id: 1, customFields: custom }), deals).tier;
    expect({ level: t.level, rule: t.rule }).toEqual({ level, rule });
  });

  it('squad by deal label when the policy lists label ids', () => {
    const p = policy((pp) => {
      pp.keyAccount.dealLabelIds = [77];
    });
    const t = tierOf(org({ id: 1 }), [wonDeal({ id: 2, orgId: 1, won: '2025-01-10', labelIds: [5, 77] })], p).tier;
    expect(t).toMatchObject({ level: 3, rule: 'key_account' });
    expect(t.detail).toContain('#2');
  });

  it('keyAccount.minTier is honoured', () => {
    const p = policy((pp) => {
      pp.keyAccount.minTier = 2;
    });
    expect(tierOf(org({ id: 1 }), [wonDeal({ id: 2, orgId: 1, won: '2025-01-10', title: 'Squad' })], p).tier).toMatchObject({ level: 2, rule: 'key_account' });
  });

  it('the explicit field detail names the option', () => {
    expect(tierOf(org({ id: 1, customFields: { [F.tier]: TIER_OPT['Tier 3'] } }), []).tier.detail).toBe('Tier = "Tier 3"');
  });
});

describe('revenue thresholds in the threshold currency (docs/policy.md §10.2: the guide says USD)', () => {
  // Recurrent (two won deals within 24 months) and a client for 6 years, so only revenue decides.
  const recurrentOld = [old(1), wonDeal({ id: 3, orgId: 1, won: '2025-06-01', value: 0, currency: 'USD' })];
  it.each([
    ['no revenue', 0, 1],
    ['just below Tier 2', 49_999.99, 1],
    ['exactly Tier 2', 50_000, 2],
    ['just below Tier 3', 199_999, 2],
    ['exactly Tier 3', 200_000, 3],
    ['Tier 4 revenue with 6 years of tenure', 1_000_000, 4],
  ])('%s (%d USD) → Tier %i', (_name, value, level) => {
    const t = tierOf(org({ id: 1 }), [...recurrentOld, wonDeal({ id: 2, orgId: 1, won: '2026-02-01', value, currency: 'USD' })]).tier;
    expect(t.level).toBe(level);
    expect(t.rule).toBe('revenue_tenure');
    expect(t.thresholdCurrency).toBe('USD');
    expect(t.revenue12mThreshold).toBeCloseTo(value, 2);
    expect(t.revenue12m).toBeCloseTo(value * 5.3, 2);
  });

  it.each([
    ['264,999 BRL ≈ 49,999.8 USD', 264_999, 1],
    ['265,000 BRL = 50,000 USD', 265_000, 2],
    ['200,000 BRL (a Tier 3 figure in reais) is only 37,736 USD', 200_000, 1],
  ])('a deal in reais is compared with the USD threshold: %s', (_name, value, level) => {
    const t = tierOf(org({ id: 1 }), [...recurrentOld, wonDeal({ id: 2, orgId: 1, won: '2026-02-01', value })]).tier;
    expect(t.level).toBe(level);
    expect(t.revenue12m).toBe(value);
    expect(t.revenue12mThreshold).toBeCloseTo(value / 5.3, 2);
  });

  it('the reason shows the revenue in both currencies and the threshold in USD', () => {
    const t = tierOf(org({ id: 1 }), [...recurrentOld, wonDeal({ id: 2, orgId: 1, won: '2026-02-01', value: 530_000 })]).tier;
    expect(t.level).toBe(2);
    expect(t.params).toMatchObject({ revenue: 530_000, currency: 'BRL', revenueThreshold: 100_000, thresholdCurrency: 'USD', minRevenue: 50_000 });
    expect(t.detail).toContain('530,000 BRL (100,000 USD)');
    expect(t.detail).toContain('Tier 2 needs 50,000 USD');
  });

  it('without tierCriteria.thresholdCurrency the thresholds are in the firm currency (policy files written before it)', () => {
    const p = policy((pp) => {
      delete pp.tierCriteria.thresholdCurrency;
    });
    const t = tierOf(org({ id: 1 }), [...recurrentOld, wonDeal({ id: 2, orgId: 1, won: '2026-02-01', value: 50_000 })], p).tier;
    expect(t).toMatchObject({ level: 2, thresholdCurrency: 'BRL', revenue12mThreshold: 50_000 });
  });

  it('the policy refuses a threshold currency without a rate, saying what to add', () => {
    const p = policy((pp) => {
      pp.tierCriteria.thresholdCurrency = 'GBP';
    });
    const parsed = PolicySchema.safeParse(p);
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues.find((i) => i.path.join('.') === 'tierCriteria.thresholdCurrency');
    expect(issue?.message).toContain('add currencyRates.GBP');
  });
});

describe('Tier 2 needs recurrence, Tier 3 a multi-year history (docs/policy.md §10.2)', () => {
  const usd = (id: number, won: string, value: number, over: Partial<Deal> = {}) => wonDeal({ id, orgId: 1, won, value, currency: 'USD', ...over });

  it('one Tier 2-sized deal is no recurrence: Tier 1, held back by recurrence', () => {
    const t = tierOf(org({ id: 1 }), [usd(2, '2026-02-01', 60_000)]).tier;
    expect(t).toMatchObject({ level: 1, rule: 'revenue_tenure', textKey: 'held_back_recurrence', heldBack: { level: 2, criterion: 'recurrence' }, wonDeals: 1, retainer: false });
    expect(t.params).toMatchObject({ tier: 1, heldTier: 2, wonDeals: 1, minWonDeals: 2, windowMonths: 24 });
  });

  it('two won deals within 24 months are recurrence', () => {
    const t = tierOf(org({ id: 1 }), [usd(2, '2024-03-11', 1), usd(3, '2026-02-01', 60_000)]).tier;
    expect(t).toMatchObject({ level: 2, heldBack: null, wonDeals: 2 });
    expect(t.textKey).toBeUndefined();
  });

  it('a deal won 24 months and a day ago is outside the window', () => {
    const t = tierOf(org({ id: 1 }), [usd(2, '2024-03-09', 1), usd(3, '2026-02-01', 60_000)]).tier;
    expect(t).toMatchObject({ level: 1, wonDeals: 1, heldBack: { level: 2, criterion: 'recurrence' } });
  });

  it('one won retainer is recurrence (title pattern)', () => {
    const t = tierOf(org({ id: 1 }), [usd(3, '2026-02-01', 60_000, { title: 'Retainer de produto 2026' })]).tier;
    expect(t).toMatchObject({ level: 2, retainer: true, heldBack: null });
  });

  it('a retainer by deal field value when the policy names one', () => {
    const p = policy((pp) => {
      pp.tierCriteria.recurrence.retainerField = { name: 'Service line', values: ['Consulting'] };
    });
    const t = tierOf(org({ id: 1 }), [usd(3, '2026-02-01', 60_000, { customFields: { [F.serviceLine]: SERVICE.Consulting } })], p).tier;
    expect(t).toMatchObject({ level: 2, retainer: true });
  });

  it('Tier 3 revenue with less than 2 years of history: Tier 2, held back by tenure', () => {
    const t = tierOf(org({ id: 1 }), [usd(2, '2024-09-10', 1), usd(3, '2026-02-01', 300_000)]).tier;
    expect(t.tenureYears).toBeLessThan(2);
    expect(t).toMatchObject({ level: 2, textKey: 'held_back_tenure', heldBack: { level: 3, criterion: 'tenure' } });
    expect(t.params).toMatchObject({ heldTier: 3, minTenureYears: 2 });
  });

  it('Tier 3 revenue with 2 years of history: Tier 3', () => {
    const t = tierOf(org({ id: 1 }), [usd(2, '2024-03-09', 1), usd(3, '2026-02-01', 300_000)]).tier;
    expect(t).toMatchObject({ level: 3, heldBack: null });
  });

  it('Tier 3 revenue, no history and no recurrence: Tier 1, and the reason names the Tier 3 criterion', () => {
    const t = tierOf(org({ id: 1 }), [usd(3, '2026-02-01', 300_000)]).tier;
    expect(t).toMatchObject({ level: 1, heldBack: { level: 3, criterion: 'tenure' } });
  });
});

describe('Tier 2 upgrade candidates (docs/policy.md §10.2)', () => {
  const usd = (id: number, won: string, value: number, title = `Deal ${id}`) => wonDeal({ id, orgId: 1, won, value, currency: 'USD', title });
  it.each([
    ['150,000 USD = 75 % of Tier 3', [usd(3, '2026-02-01', 150_000, 'Retainer 2026')], ['revenue_share'], 0.75],
    ['100,000 USD after 70,000 (+43 %)', [usd(2, '2024-12-01', 70_000), usd(3, '2026-02-01', 100_000)], ['growth'], 0.5],
    ['160,000 USD after 100,000: both', [usd(2, '2024-12-01', 100_000), usd(3, '2026-02-01', 160_000)], ['revenue_share', 'growth'], 0.8],
  ])('%s', (_name, deals, reasons, share) => {
    const t = tierOf(org({ id: 1 }), deals).tier;
    expect(t.level).toBe(2);
    expect(t.upgradeCandidate).toMatchObject({ nextTier: 3, reasons, share });
  });

  it.each([
    ['100,000 USD after 90,000 (+11 %)', [usd(2, '2024-12-01', 90_000), usd(3, '2026-02-01', 100_000)]],
    ['149,000 USD without a year before', [usd(3, '2026-02-01', 149_000, 'Retainer 2026')]],
  ])('not a candidate: %s', (_name, deals) => {
    const t = tierOf(org({ id: 1 }), deals).tier;
    expect(t.level).toBe(2);
    expect(t.upgradeCandidate).toBeNull();
  });

  it('only Tier 2 clients are candidates', () => {
    expect(tierOf(org({ id: 1 }), [usd(3, '2026-02-01', 190_000)]).tier).toMatchObject({ level: 1, upgradeCandidate: null });
  });
});

describe('revenue and tenure', () => {
  it('Tier 4 revenue without 5 years of tenure stays Tier 3', () => {
    const t = tierOf(org({ id: 1, addTime: '2010-01-01T00:00:00Z' }), [wonDeal({ id: 2, orgId: 1, won: '2022-03-11', value: 1 }), wonDeal({ id: 3, orgId: 1, won: '2026-02-01', value: 2_000_000 })]).tier;
    expect(t.level).toBe(3);
    expect(t.tenureYears).toBeLessThan(5);
  });

  it('tenure counts from the first won deal even when the org record is older', () => {
    const t = tierOf(org({ id: 1, addTime: '2010-01-01T00:00:00Z' }), [wonDeal({ id: 2, orgId: 1, won: '2021-03-10', value: 1_000_000 })]).tier;
    expect(t.tenureYears).toBeCloseTo(5, 1);
  });

  it('without won deals tenure counts from the org add time', () => {
    const t = tierOf(org({ id: 1, addTime: '2016-03-10T12:00:00Z' }), []).tier;
    expect(t.tenureYears).toBeCloseTo(10, 1);
    expect(t.detail).toContain('since the organization was added');
  });

  it('only the trailing 12 months count: won 2025-03-10 is out, 2025-03-11 is in', () => {
    const t = tierOf(org({ id: 1 }), [wonDeal({ id: 2, orgId: 1, won: '2025-03-10', value: 40_000 }), wonDeal({ id: 3, orgId: 1, won: '2025-03-11', value: 60_000 })]).tier;
    expect(t.revenue12m).toBe(60_000);
    expect(t.revenuePrevious12m).toBe(40_000);
  });

  it('open and lost deals never count as revenue', () => {
    const t = tierOf(org({ id: 1 }), [deal({ id: 2, orgId: 1, value: 900_000 }), deal({ id: 3, orgId: 1, status: 'lost', value: 900_000, lostTime: '2026-01-01T00:00:00Z' })]).tier;
    expect(t.revenue12m).toBe(0);
  });

  it('converts other currencies with policy.currencyRates (USD 5.3)', () => {
    const t = tierOf(org({ id: 1 }), [wonDeal({ id: 2, orgId: 1, won: '2026-01-10', value: 10_000, currency: 'USD' })]).tier;
    expect(t.revenue12m).toBe(53_000);
    expect(t.revenue12mThreshold).toBe(10_000);
    expect(t.unconvertedCurrencies).toEqual([]);
  });

  it('reports a currency without a rate and leaves it out of the sum', () => {
    const a = tierOf(org({ id: 1 }), [wonDeal({ id: 2, orgId: 1, won: '2026-01-10', value: 9_000_000, currency: 'JPY' }), wonDeal({ id: 3, orgId: 1, won: '2026-01-11', value: 60_000 })]);
    expect(a.tier.revenue12m).toBe(60_000);
    expect(a.tier.unconvertedCurrencies).toEqual(['JPY']);
    expect(a.findings).toContainEqual(expect.objectContaining({ entity: 'deal', entityId: 2, orgId: 1, problem: 'unknown_currency' }));
  });

  it('the firm currency itself is set by policy.currency', () => {
    const p = policy((pp) => {
      pp.currency = 'USD';
      pp.currencyRates = { BRL: 0.2 };
    });
    const t = tierOf(org({ id: 1 }), [wonDeal({ id: 2, orgId: 1, won: '2026-01-10', value: 300_000, currency: 'BRL' }), wonDeal({ id: 3, orgId: 1, won: '2026-01-11', value: 10_000, currency: 'USD' })], p).tier;
    expect(t.revenue12m).toBe(70_000);
  });
});

describe('the retainer field is one the policy needs', () => {
  it('is reported unresolved when the company lacks it, and the rules still run', () => {
    const p = policy((pp) => {
      pp.tierCriteria.recurrence.retainerField = { name: 'Contract kind', values: ['Retainer'] };
    });
    const r = assessCompany(p, snapshot({ orgs: [org({ id: 1 })], deals: [wonDeal({ id: 2, orgId: 1, won: '2026-02-01', value: 60_000, currency: 'USD' })] }), clock(TODAY));
    expect(r.unresolvedFields).toContainEqual({ entity: 'deal', name: 'Contract kind' });
    expect(r.organizations[0]!.tier).toMatchObject({ level: 1, retainer: false });
  });
});
