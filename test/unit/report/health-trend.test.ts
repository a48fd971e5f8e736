/** Health over time in the report (docs/policy.md §10.5): the last 13 ISO weeks of each strategic client, drops ≥ 15 flagged. */
import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { recentIsoWeeks } from '../../../src/report/health-trend.js';
import { ReportV1 } from '../../../src/report/report-schema.js';
import { renderHtml } from '../../../src/report/render-html.js';
import { F, TIER_OPT, clock, org, policy, snapshot, touch } from '../rules/fixtures.js';

const TODAY = '2026-03-10'; // ISO week 2026-W11

describe('recentIsoWeeks', () => {
  it('gives the 13 weeks ending with the current one, across a year boundary', () => {
    expect(recentIsoWeeks(TODAY, 13)).toEqual([
      '2025-W51', '2025-W52', '2026-W01', '2026-W02', '2026-W03', '2026-W04', '2026-W05', '2026-W06', '2026-W07', '2026-W08', '2026-W09', '2026-W10', '2026-W11',
    ]);
    expect(recentIsoWeeks('2021-01-03', 2)).toEqual(['2020-W52', '2020-W53']);
  });
});

describe('health trend of strategic clients', () => {
  const p = policy();
  const s = snapshot({
    orgs: [
      org({ id: 1, name: 'Caiu', customFields: { [F.tier]: TIER_OPT['Tier 3'] } }),
      org({ id: 2, name: 'Quase', customFields: { [F.tier]: TIER_OPT['Tier 4'] } }),
      org({ id: 3, name: 'Nova', customFields: { [F.tier]: TIER_OPT['Tier 3'] } }),
      org({ id: 4, name: 'Pequena', customFields: { [F.tier]: TIER_OPT['Tier 2'] } }),
    ],
    activities: [touch(1, 2, '2026-03-02', { type: 'meeting', subject: 'FUP' })],
  });
  const result = assessCompany(p, s, clock(TODAY));
  const score = (id: number) => result.organizations.find((o) => o.orgId === id)!.health.score;
  // Client 1 was 15 points above today's score in W05; client 2 only 14 above in W10; client 3 has no history.
  const history = new Map([
    ['2026-W05', new Map([[1, score(1) + 15], [2, score(2)], [4, 100]])],
    ['2026-W10', new Map([[1, score(1) + 3], [2, score(2) + 14], [4, 100]])],
  ]);
  const run = { startedAt: '2026-03-10T15:00:00Z', finishedAt: '2026-03-10T15:00:05Z', durationMs: 5000, recordsSynced: {}, requests: 0, retries: 0, rate429: 0 };
  const report = ReportV1.parse(buildJsonReport({ runId: 'r', result, plan: null, run, snapshot: s, policy: p, companyDomain: 'acme', healthHistory: history }));
  const trend = report.healthTrend!;
  const client = (id: number) => trend.clients.find((c) => c.orgId === id);

  it('carries 13 weekly scores per strategic client in report.json, this run last, gaps as null', () => {
    expect(trend.weeks).toHaveLength(13);
    expect(trend.weeks.at(-1)).toBe('2026-W11');
    const c1 = client(1)!;
    expect(c1.scores).toHaveLength(13);
    expect(c1.scores[trend.weeks.indexOf('2026-W05')]).toBe(score(1) + 15);
    expect(c1.scores[trend.weeks.indexOf('2026-W06')]).toBeNull();
    expect(c1.scores.at(-1)).toBe(score(1));
    expect(client(4)).toBeUndefined(); // Tier 2 is not strategic
  });

  it('flags a drop of 15 points below the best earlier week, not 14; no history, no drop', () => {
    expect(client(1)).toMatchObject({ best: score(1) + 15, drop: 15, flagged: true });
    expect(client(2)).toMatchObject({ best: score(2) + 14, drop: 14, flagged: false });
    expect(client(3)).toMatchObject({ best: null, drop: null, flagged: false });
    expect(trend.clients[0]!.orgId).toBe(1); // flagged first
  });

  it('draws each client as a line in the HTML, the flagged ones marked', () => {
    const html = renderHtml(report, p.texts['pt-BR']);
    expect(html).toContain('<h2>Saúde ao longo do tempo <span class="count">1</span></h2>');
    expect(html).toContain('<tr class="health-trend flagged" data-org-id="1" data-drop="15">');
    expect(html).toContain('<tr class="health-trend" data-org-id="3" data-drop="">');
    expect(html.match(/<svg class="spark"/g)).toHaveLength(3);
    // Client 1 has W05 alone, then W10 and this week: a dot, then a line (the gap is not bridged).
    const row = html.slice(html.indexOf('data-org-id="1" data-drop'), html.indexOf('</tr>', html.indexOf('data-org-id="1" data-drop')));
    expect(row.match(/<polyline/g)).toHaveLength(1);
    expect(row.match(/<circle class="week"/g)).toHaveLength(1);
  });

  it('the weeks shown and the drop come from the policy (views.healthWeeks, healthDropPoints)', () => {
    const p2 = policy((pp) => {
      pp.views.healthWeeks = 4;
      pp.views.healthDropPoints = 10;
    });
    const r2 = buildJsonReport({ runId: 'r', result, plan: null, run, snapshot: s, policy: p2, companyDomain: 'acme', healthHistory: history });
    expect(r2.healthTrend!.weeks).toEqual(['2026-W08', '2026-W09', '2026-W10', '2026-W11']);
    // W05 is out of the window: client 1's best is W10 (+3); client 2's +14 is now flagged.
    expect(r2.healthTrend!.clients.find((c) => c.orgId === 1)).toMatchObject({ drop: 3, flagged: false });
    expect(r2.healthTrend!.clients.find((c) => c.orgId === 2)).toMatchObject({ drop: 14, flagged: true });
  });
});
