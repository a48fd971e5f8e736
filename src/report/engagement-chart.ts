/**
 * Weekly touchpoint volume per tier as an inline SVG grouped bar chart: no script, no external asset,
 * readable offline and when printed. Every bar carries a <title> (hover text) and its value.
 */
import type { WeekCount } from '../rules/types.js';
import { html, type SafeHtml } from './safe-html.js';

export interface EngagementChartInput {
  /** ISO weeks, oldest first. */
  weeks: readonly string[];
  byTier: readonly { tier: number; weeks: readonly WeekCount[] }[];
  tierName: (level: number) => string;
  weekLabel: (isoWeek: string) => string;
  formatNumber: (n: number) => string;
  title: string;
}

/** Colour-blind-safe palette (Okabe–Ito), one colour per tier in order. */
export const TIER_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#999999'];

const WIDTH = 760;
const HEIGHT = 300;
const MARGIN = { top: 20, right: 16, bottom: 70, left: 48 };

/** Smallest "nice" axis maximum (1, 2, 2.5, 5 × 10^k) at or above the value. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * exp >= value) return step * exp;
  return 10 * exp;
}

export function renderEngagementChart(input: EngagementChartInput): SafeHtml {
  const { weeks, byTier } = input;
  const tiers = [...byTier].sort((a, b) => a.tier - b.tier);
  const value = (tier: (typeof tiers)[number], week: string): number => tier.weeks.find((w) => w.week === week)?.count ?? 0;
  const max = niceCeiling(Math.max(0, ...tiers.flatMap((t) => weeks.map((w) => value(t, w)))));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const groupW = weeks.length > 0 ? plotW / weeks.length : plotW;
  const barW = tiers.length > 0 ? Math.max(2, (groupW * 0.8) / tiers.length) : 0;
  const y = (v: number): number => MARGIN.top + plotH - (v / max) * plotH;
  const r = (n: number): string => (Math.round(n * 10) / 10).toString();

  // Counts are whole numbers: ticks at whole values only, positioned exactly at their value.
  const ticks = [...new Set([0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(max * f)))];
  const grid = ticks.map(
    (v) => html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${r(y(v))}" y2="${r(y(v))}" class="grid"/>
<text x="${MARGIN.left - 6}" y="${r(y(v) + 4)}" text-anchor="end" class="tick">${input.formatNumber(v)}</text>`,
  );

  const bars = weeks.map((week, wi) => {
    const x0 = MARGIN.left + wi * groupW + groupW * 0.1;
    return html`<g>${tiers.map((t, ti) => {
      const v = value(t, week);
      const x = x0 + ti * barW;
      const label = `${input.tierName(t.tier)} · ${input.weekLabel(week)} (${week}): ${input.formatNumber(v)}`;
      return html`<rect x="${r(x)}" y="${r(y(v))}" width="${r(barW - 1)}" height="${r(MARGIN.top + plotH - y(v))}" fill="${TIER_COLOURS[ti % TIER_COLOURS.length]}"><title>${label}</title></rect>${
        v > 0 ? html`<text x="${r(x + (barW - 1) / 2)}" y="${r(y(v) - 3)}" text-anchor="middle" class="val">${input.formatNumber(v)}</text>` : ''
      }`;
    })}<text x="${r(MARGIN.left + wi * groupW + groupW / 2)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" class="tick">${input.weekLabel(week)}</text></g>`;
  });

  const legendY = HEIGHT - 18;
  const legend = tiers.map(
    (t, ti) => html`<g transform="translate(${MARGIN.left + ti * 170},${legendY})"><rect width="12" height="12" y="-10" fill="${TIER_COLOURS[ti % TIER_COLOURS.length]}"/><text x="18" class="legend">${input.tierName(t.tier)}</text></g>`,
  );

  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="engagement-chart-title" class="chart">
<title id="engagement-chart-title">${input.title}</title>
${grid}
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" class="axis"/>
${bars}
${legend}
</svg>`;
}
