/**
 * The per-executive view (docs/policy.md §10.5) as CSV for spreadsheets, in the same dialect as findings.csv
 * (UTF-8, header row, CRLF, RFC 4180 quoting, formula starters prefixed with an apostrophe). One row per
 * account owner, largest book first. Numbers are plain (dot decimals); empty = not defined.
 *
 * Columns: owner_id, owner_name, owner_active, clients, clients_tier_<level> (one per tier), with_cadence,
 * on_cadence, on_cadence_percent, overdue, escalations, missed_activities, renewals_due, stalled_deals,
 * revenue_12m, revenue_previous_12m, growth_percent (amounts in the firm currency).
 */
import { textCell } from './findings-csv.js';
import type { ExecutiveView } from './views-schema.js';

const numCell = (n: number | null): string => (n === null ? '' : String(n));

export function executivesCsvColumns(tierLevels: readonly number[]): string[] {
  return [
    'owner_id', 'owner_name', 'owner_active', 'clients', ...tierLevels.map((t) => `clients_tier_${t}`), 'with_cadence', 'on_cadence',
    'on_cadence_percent', 'overdue', 'escalations', 'missed_activities', 'renewals_due', 'stalled_deals', 'revenue_12m',
    'revenue_previous_12m', 'growth_percent',
  ];
}

export function renderExecutivesCsv(executives: readonly ExecutiveView[], tierLevels: readonly number[]): string {
  const lines = [executivesCsvColumns(tierLevels).join(',')];
  for (const e of executives) {
    const tiers = new Map(e.byTier.map((t) => [t.tier, t.clients]));
    lines.push(
      [
        numCell(e.ownerId), textCell(e.ownerName), e.active ? 'true' : 'false', numCell(e.clients), ...tierLevels.map((t) => numCell(tiers.get(t) ?? 0)),
        numCell(e.withCadence), numCell(e.onCadence), numCell(e.onCadencePercent), numCell(e.overdue), numCell(e.escalations),
        numCell(e.missedActivities), numCell(e.renewalsDue), numCell(e.stalledDeals), numCell(e.revenue12m), numCell(e.revenuePrevious12m),
        numCell(e.growthPercent),
      ].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
