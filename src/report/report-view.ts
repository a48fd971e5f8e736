/**
 * The report as it is written: `ReportV1` with its per-record lists as `Rows` (built one row at a time when
 * read, see rows.ts) instead of arrays of described copies. `buildJsonReport` is this view collected into
 * one object, so the files and the tests' `ReportV1` come from the same code and cannot drift apart.
 */
import type { OrgAssessment } from '../rules/types.js';
import type { ReportV1 } from './report-schema.js';
import { LazyRows, type Rows } from './rows.js';

export type ReportOrganization = ReportV1['organizations'][number];

/**
 * Clients by id, for a renderer that needs a client's name or last touchpoint without describing every client
 * (the HTML's skipped and overdue lists). A symbol key: JSON and `materializeReport` never see it.
 */
export const CLIENTS: unique symbol = Symbol('clients');
export type ClientLookup = (orgId: number) => Pick<OrgAssessment, 'name' | 'lastTouchpointDate'> | undefined;

type Cadence = ReportV1['cadence'];
type Stalled = NonNullable<ReportV1['stalledWork']>;
/** A list's elements as Rows. */
type AsRows<T, K extends keyof T> = Omit<T, K> & { [P in K]: T[P] extends readonly (infer E)[] ? Rows<E> : never };

export type ReportView = Omit<ReportV1, 'organizations' | 'dataQuality' | 'engagement' | 'cadence' | 'stalledWork'> & {
  dataQuality: AsRows<ReportV1['dataQuality'], 'findings'>;
  cadence: AsRows<Cadence, 'overdue' | 'missed' | 'created' | 'deletions' | 'flagChanges'>;
  engagement: AsRows<ReportV1['engagement'], 'risks'>;
  stalledWork?: AsRows<Stalled, 'deals'>;
  organizations: Rows<ReportOrganization>;
  [CLIENTS]?: ClientLookup;
};

/** The view with every lazy list built into an array: the whole `ReportV1` (in memory: for tests and small callers). */
export function materializeReport(view: ReportView): ReportV1 {
  return collect(view, 2) as ReportV1;
}

/** Lists sit at most two levels down (`dataQuality.findings`); objects without one are kept as they are. */
function collect(value: unknown, depth: number): unknown {
  if (value instanceof LazyRows) return value.slice();
  if (depth === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(value)) {
    const c = collect(v, depth - 1);
    // String keys only (in their order): the CLIENTS lookup stays behind.
    if (c !== v) copy ??= Object.fromEntries(Object.entries(value));
    if (copy) copy[k] = c;
  }
  return copy ?? value;
}
