/** Amounts as money one way per locale, "no minimum" instead of 0, and plural forms (docs/policy.md §8). */
import { describe, expect, it } from 'vitest';
import { createDescriber } from '../../../src/i18n/describe.js';
import { engagementLine } from '../../../src/plan/notes.js';
import { assessment, loadPolicy } from '../plan/fixtures.js';

const pt = createDescriber(loadPolicy('pt-BR'));
const en = createDescriber(loadPolicy('en'));
const tier1 = { rule: 'revenue_tenure' as const, params: { tier: 1, revenue: 0, currency: 'BRL', revenueThreshold: 0, thresholdCurrency: 'USD', tenureYears: 1, minRevenue: 0, minTenureYears: 0 } };

describe('money, minimums and plurals', () => {
  it('a Tier 1 with no minimum says so, and amounts read as money ("R$ 0", never "0 BRL")', () => {
    expect(pt.tier(tier1)).toBe('Receita de 12 meses de R$\u00a00 (US$\u00a00) e 1 ano de relacionamento (mínimos do Tier 1: receita sem mínimo; relacionamento sem mínimo)');
    expect(en.tier(tier1)).toBe('12-month revenue of R$0 ($0) and 1 year as a client (Tier 1 minimums: revenue no minimum; tenure no minimum)');
    for (const text of [pt.tier(tier1), en.tier(tier1)]) expect(text).not.toMatch(/\b0 (BRL|USD|anos|years)\b/);
  });

  it('plural forms: "1 negócio ganho", "nenhum contato", "1 pessoa contatada"', () => {
    const held = { rule: 'revenue_tenure' as const, textKey: 'held_back_recurrence' as const, params: { ...tier1.params, revenue: 300_000, revenueThreshold: 56_604, heldTier: 2, tier: 1, wonDeals: 1, windowMonths: 24, minWonDeals: 2 } };
    expect(pt.tier(held)).toContain('(1 negócio ganho em 24 meses;');
    expect(en.tier(held)).toContain('(1 won deal in 24 months;');
    const policy = loadPolicy('pt-BR');
    const quiet = assessment({ orgId: 1, engagement: { weeks: [], last4: 0, previous4: 0, trend: 'stable', breadth: 1 } });
    expect(engagementLine(policy, policy.texts['pt-BR'], quiet)).toBe('Engajamento: nenhum contato nas últimas 4 semanas (Estável); 1 pessoa contatada em 90 dias.');
  });

  it('a currency Intl does not know leaves the number as it is', () => {
    const risk = { kind: 'shrinking_deals' as const, params: { latestDeal: 'A', latestValue: 10, previousDeal: 'B', previousValue: 20, percent: 50, currency: 'xx' } };
    expect(pt.risk(risk)).toContain('(10)');
  });
});
