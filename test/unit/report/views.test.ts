/** Per-executive and portfolio views (docs/policy.md §10.5), from the real rules over a small company (fixed `now`). */
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../../src/config/policy-schema.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { renderExecutivesCsv } from '../../../src/report/executives-csv.js';
import { parseCsv } from '../../../src/report/findings-csv.js';
import { ReportV1 } from '../../../src/report/report-schema.js';
import { renderHtml } from '../../../src/report/render-html.js';
import { F, TIER_OPT, activity, clock, deal, org, policy, snapshot, touch, wonDeal } from '../rules/fixtures.js';

const TODAY = '2026-03-10';
const ANA = 5;
const BRUNO = 6;

function company(p: Policy = policy()) {
  const s = snapshot({
    orgs: [
      org({ id: 1, name: 'Alfa', ownerId: ANA, customFields: { [F.tier]: TIER_OPT['Tier 3'], [F.contractEnd]: '2026-06-30' } }),
      org({ id: 2, name: 'Beta', ownerId: ANA }),
      org({ id: 3, name: 'Gama', ownerId: BRUNO }),
    ],
    deals: [
      wonDeal({ id: 10, orgId: 1, won: '2026-01-10', value: 1_000_000 }),
      wonDeal({ id: 11, orgId: 1, won: '2025-01-10', value: 500_000 }), // the 12 months before
      wonDeal({ id: 12, orgId: 3, won: '2026-02-01', value: 300_000 }),
      deal({ id: 13, orgId: 3, expectedCloseDate: '2026-02-01', stageChangeTime: '2026-03-01T12:00:00Z' }), // late: stalled
    ],
    activities: [
      touch(100, 1, '2026-03-02', { type: 'meeting', subject: 'FUP' }),
      // Open and past due: a missed activity of Beta (Ana's).
      activity({ id: 101, orgId: 2, done: false, dueDate: '2026-03-02' }),
      activity({ id: 102, orgId: 2, done: false, dueDate: '2026-03-20' }),
    ],
  });
  const result = assessCompany(p, s, clock(TODAY));
  const run = { startedAt: '2026-03-10T15:00:00Z', finishedAt: '2026-03-10T15:00:05Z', durationMs: 5000, recordsSynced: {}, requests: 0, retries: 0, rate429: 0 };
  return ReportV1.parse(buildJsonReport({ runId: 'r1', result, plan: null, run, snapshot: s, policy: p, companyDomain: 'acme' }));
}

describe('per-executive view', () => {
  const report = company();
  const ana = report.executives!.find((e) => e.ownerId === ANA)!;
  const bruno = report.executives!.find((e) => e.ownerId === BRUNO)!;

  it("counts each owner's clients by tier, cadence, missed activities, renewals and stalled deals", () => {
    expect(ana).toMatchObject({ ownerName: 'Ana Owner', active: true, clients: 2, missedActivities: 1, renewalsDue: 1, stalledDeals: 0, escalations: 0 });
    expect(ana.byTier).toEqual([{ tier: 1, clients: 1 }, { tier: 2, clients: 0 }, { tier: 3, clients: 1 }, { tier: 4, clients: 0 }]);
    expect(ana.onCadence + ana.overdue).toBeLessThanOrEqual(ana.withCadence);
    expect(ana.onCadencePercent).toBe(ana.withCadence === 0 ? null : Math.round((ana.onCadence / ana.withCadence) * 1000) / 10);
    expect(bruno).toMatchObject({ clients: 1, stalledDeals: 1, missedActivities: 0 });
  });

  it('compares 12-month revenue with the 12 months before', () => {
    expect(ana).toMatchObject({ revenue12m: 1_000_000, revenuePrevious12m: 500_000, growthPercent: 100 });
    expect(bruno).toMatchObject({ revenue12m: 300_000, revenuePrevious12m: 0, growthPercent: null });
    // Largest book first.
    expect(report.executives!.map((e) => e.ownerId)).toEqual([ANA, BRUNO]);
  });

  it('is in executives.csv, one row per owner', () => {
    const rows = parseCsv(renderExecutivesCsv(report.executives!, [1, 2, 3, 4]));
    expect(rows[0]).toEqual([
      'owner_id', 'owner_name', 'owner_active', 'clients', 'clients_tier_1', 'clients_tier_2', 'clients_tier_3', 'clients_tier_4', 'with_cadence', 'on_cadence',
      'on_cadence_percent', 'overdue', 'escalations', 'missed_activities', 'renewals_due', 'stalled_deals', 'revenue_12m', 'revenue_previous_12m', 'growth_percent',
    ]);
    expect(rows).toHaveLength(3);
    const row = Object.fromEntries(rows[0]!.map((c, i) => [c, rows[1]![i]]));
    expect(row).toMatchObject({ owner_id: '5', owner_name: 'Ana Owner', clients: '2', clients_tier_3: '1', missed_activities: '1', revenue_12m: '1000000', growth_percent: '100' });
    expect(rows[2]![rows[0]!.indexOf('growth_percent')]).toBe('');
  });
});

describe('portfolio view', () => {
  it('gives the strategic share, top-N concentration, revenue trend and tenure per tier', () => {
    const pf = company().portfolio!;
    expect(pf).toMatchObject({ clients: 3, revenue12m: 1_300_000, revenuePrevious12m: 500_000, growthPercent: 160 });
    expect(pf.strategic).toEqual({ minTier: 3, clients: 1, revenue12m: 1_000_000, percent: 76.9 });
    expect(pf.top).toMatchObject({ size: 10, revenue12m: 1_300_000, percent: 100 });
    expect(pf.top.clients.map((c) => [c.orgId, c.percent])).toEqual([[1, 76.9], [3, 23.1]]);
    const t3 = pf.byTier.find((t) => t.tier === 3)!;
    expect(t3).toMatchObject({ clients: 1, revenue12m: 1_000_000, revenuePrevious12m: 500_000, growthPercent: 100, sharePercent: 76.9 });
    expect(t3.averageTenureYears).toBeCloseTo(1.2, 1);
    expect(pf.byTier.find((t) => t.tier === 4)).toMatchObject({ clients: 0, averageTenureYears: null, sharePercent: 0 });
  });

  it('takes the strategic tier and the top-N size from the policy (views)', () => {
    const pf = company(policy((p) => {
      p.views.topClients = 1;
      p.views.strategicMinTier = 4;
    })).portfolio!;
    expect(pf.top).toMatchObject({ size: 1, percent: 76.9 });
    expect(pf.strategic).toMatchObject({ minTier: 4, clients: 0, percent: 0 });
  });
});

describe('HTML', () => {
  it('shows the per-executive and portfolio sections in the policy language', () => {
    const p = policy();
    const html = renderHtml(company(p), p.texts['pt-BR']);
    expect(html).toContain('<h2>Por executivo</h2>');
    expect(html).toContain('<tr class="executive" data-owner-id="5">');
    expect(html).toContain('<h2>Carteira</h2>');
    expect(html).toContain('Receita de Tier 3+');
    expect(html).toContain('<div class="card" data-measure="strategic"><b>76,9%</b>');
    expect(html).toContain('<tr class="portfolio-tier" data-tier="3">');
    const en = renderHtml(company(policy((pp) => { pp.locale = 'en'; })), p.texts.en);
    expect(en).toContain('<h2>Per executive</h2>');
    expect(en).toContain('Revenue from the 10 largest clients');
  });
});
