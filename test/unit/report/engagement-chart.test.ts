import { describe, expect, it } from 'vitest';
import { niceAxis, renderEngagementChart } from '../../../src/report/engagement-chart.js';

describe('niceAxis', () => {
  it.each([
    [0, { max: 1, step: 1 }],
    [3, { max: 3, step: 1 }],
    [7, { max: 8, step: 2 }],
    [10, { max: 10, step: 5 }],
    [23, { max: 30, step: 10 }],
    [130, { max: 150, step: 50 }],
  ])('%d → %o', (value, axis) => {
    expect(niceAxis(value)).toEqual(axis);
  });
});

describe('renderEngagementChart', () => {
  const input = {
    weeks: ['2026-W01', '2026-W02'],
    byTier: [
      { tier: 1, weeks: [{ week: '2026-W01', count: 4 }, { week: '2026-W02', count: 8 }] },
      { tier: 2, weeks: [{ week: '2026-W01', count: 0 }] },
    ],
    tierName: (l: number) => `Tier ${l} · <Nome muito comprido do tier para quebrar a legenda>`,
    weekLabel: (w: string) => w.slice(-3),
    formatNumber: (n: number) => String(n),
    title: 'Volume & <tiers>',
  };

  it('scales bars to the axis, fills missing weeks with zero and titles every bar', () => {
    const svg = renderEngagementChart(input).value;
    const bars = [...svg.matchAll(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)" fill="[^"]+"><title>([^<]+)<\/title>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(bars).toHaveLength(4);
    const [w1t1, w1t2, w2t1, w2t2] = bars.map((b) => b[0] as number);
    expect(w2t1).toBeCloseTo(w1t1! * 2, 0);
    expect(w1t2).toBe(0);
    expect(w2t2).toBe(0);
    expect(bars[2]![1]).toBe('Tier 1 · &lt;Nome muito comprido do tier para quebrar a legenda&gt; · W02 (2026-W02): 8');
    expect(svg).toContain('<title id="engagement-chart-title">Volume &amp; &lt;tiers&gt;</title>');
    expect([...svg.matchAll(/class="tick">([^<]+)</g)].map((m) => m[1])).toEqual(['0', '2', '4', '6', '8', 'W01', 'W02']);
  });

  it('wraps a long legend onto a second row and grows the chart', () => {
    const svg = renderEngagementChart(input).value;
    const rows = [...svg.matchAll(/<g transform="translate\((\d+),(\d+)\)"><rect width="12"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(rows).toHaveLength(2);
    expect(rows[0]![0]).toBe(rows[1]![0]);
    expect(rows[1]![1]).toBe(rows[0]![1]! + 20);
    expect(svg).toMatch(/viewBox="0 0 900 320"/);
  });
});
