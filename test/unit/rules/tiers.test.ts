import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import type { Deal, Organization } from '../../../src/domain/entities.js';
import type { Policy } from '../../../src/config/policy-schema.js';
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
      [old(1), wonDeal({ id: 2, orgId: 1, won: '2026-01-10', title: 'Squad', value: 1_200_000 })],
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

describe('revenue and tenure thresholds (trailing 12 months, firm currency)', () => {
  it.each([
    ['no revenue', 0, 1],
    ['just below Tier 2', 49_999.99, 1],
    ['exactly Tier 2', 50_000, 2],
    ['just below Tier 3', 199_999, 2],
    ['exactly Tier 3', 200_000, 3],
    ['Tier 4 revenue with 6 years of tenure', 1_000_000, 4],
  ])('%s (%d BRL) → Tier %i', (_name, value, level) => {
    const t = tierOf(org({ id: 1 }), [old(1), wonDeal({ id: 2, orgId: 1, won: '2026-02-01', value })]).tier;
    expect(t.level).toBe(level);
    expect(t.rule).toBe('revenue_tenure');
    expect(t.revenue12m).toBeCloseTo(value, 2);
  });

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
    expect(t.level).toBe(2);
  });

  it('open and lost deals never count as revenue', () => {
    const t = tierOf(org({ id: 1 }), [deal({ id: 2, orgId: 1, value: 900_000 }), deal({ id: 3, orgId: 1, status: 'lost', value: 900_000, lostTime: '2026-01-01T00:00:00Z' })]).tier;
    expect(t.revenue12m).toBe(0);
  });

  it('converts other currencies with policy.currencyRates (USD 5.3)', () => {
    const t = tierOf(org({ id: 1 }), [wonDeal({ id: 2, orgId: 1, won: '2026-01-10', value: 10_000, currency: 'USD' })]).tier;
    expect(t.revenue12m).toBe(53_000);
    expect(t.level).toBe(2);
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
