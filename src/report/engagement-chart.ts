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

const WIDTH = 900;
const HEIGHT = 300;
const MARGIN = { top: 20, right: 16, bottom: 70, left: 48 };

/**
 * A count axis with about four whole-number steps of 1, 2 or 5 × 10^k: 7 → 0, 2, 4, 6, 8; 0 → 0, 1.
 */
export function niceAxis(maxValue: number): { max: number; step: number } {
  if (maxValue <= 4) return { max: Math.max(1, Math.ceil(maxValue)), step: 1 };
  const raw = maxValue / 4;
  const exp = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * exp).find((s) => s >= raw)!;
  return { max: Math.ceil(maxValue / step) * step, step };
}

/** Rough text width at the legend's 12px system font, to lay legend entries side by side. */
const legendWidth = (label: string): number => 18 + label.length * 7 + 22;

export function renderEngagementChart(input: EngagementChartInput): SafeHtml {
  const { weeks, byTier } = input;
  const tiers = [...byTier].sort((a, b) => a.tier - b.tier);
  const value = (tier: (typeof tiers)[number], week: string): number => tier.weeks.find((w) => w.week === week)?.count ?? 0;
  const { max, step } = niceAxis(Math.max(0, ...tiers.flatMap((t) => weeks.map((w) => value(t, w)))));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const groupW = weeks.length > 0 ? plotW / weeks.length : plotW;
  const barW = tiers.length > 0 ? Math.max(2, (groupW * 0.8) / tiers.length) : 0;
  const y = (v: number): number => MARGIN.top + plotH - (v / max) * plotH;
  const r = (n: number): string => (Math.round(n * 10) / 10).toString();

  const ticks = Array.from({ length: max / step + 1 }, (_, i) => i * step);
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

  // Legend entries side by side, wrapping onto further rows (the chart grows) when they do not fit.
  let legendX = MARGIN.left;
  let legendRow = 0;
  const legend = tiers.map((t, ti) => {
    const label = input.tierName(t.tier);
    const w = legendWidth(label);
    if (legendX + w > WIDTH - MARGIN.right && legendX > MARGIN.left) {
      legendRow += 1;
      legendX = MARGIN.left;
    }
    const x = legendX;
    legendX += w;
    return html`<g transform="translate(${x},${HEIGHT - 18 + legendRow * 20})"><rect width="12" height="12" y="-10" fill="${TIER_COLOURS[ti % TIER_COLOURS.length]}"/><text x="18" class="legend">${label}</text></g>`;
  });
  const height = HEIGHT + legendRow * 20;

  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-labelledby="engagement-chart-title" class="chart">
<title id="engagement-chart-title">${input.title}</title>
${grid}
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" class="axis"/>
${bars}
${legend}
</svg>`;
}
