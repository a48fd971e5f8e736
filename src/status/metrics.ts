/**
 * The worker's metrics: what an operator watches (runs, their duration, records synced, Pipedrive
 * requests by status, retries, 429s, writes, findings by kind, consecutive failures per company).
 * Build one with `createMetrics()` in the composition root and pass it to the parts that count.
 */
import { createRegistry, type Counter, type Gauge, type Histogram, type MetricsRegistry } from './metrics-registry.js';
import { FindingProblem } from '../domain/vocabulary.js';

export interface CadenceMetrics {
  registry: MetricsRegistry;
  /** {company, outcome: success|failure|stopped_budget} */
  runs: Counter;
  /** {company} seconds */
  runDuration: Histogram;
  /** {company, entity} */
  recordsSynced: Counter;
  /** {company, status}: the HTTP status code, or `error` when no answer came back */
  requests: Counter;
  /** {company} */
  retries: Counter;
  /** {company} */
  rateLimited: Counter;
  /** {company} */
  activitiesCreated: Counter;
  /** {company}: organizations whose flags were written */
  flagsWritten: Counter;
  /** {company, kind}: findings of the latest run, by problem */
  findings: Gauge;
  /** {company}: runs failed in a row since the last success */
  consecutiveFailures: Gauge;
  /** {company} Unix seconds */
  lastRunTimestamp: Gauge;
  /** {company} Unix seconds */
  lastSuccessTimestamp: Gauge;
  render(): string;
}

/** Run durations range from seconds (small accounts) to the better part of an hour (first sync of 1M activities). */
export const RUN_DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export function createMetrics(): CadenceMetrics {
  const registry = createRegistry();
  const company = ['company'];
  return {
    registry,
    runs: registry.counter({ name: 'cadence_runs_total', help: 'Worker runs, by outcome.', labelNames: ['company', 'outcome'] }),
    runDuration: registry.histogram({
      name: 'cadence_run_duration_seconds',
      help: 'Wall-clock duration of a run (sync, rules, plan, apply, reports).',
      labelNames: company,
      buckets: RUN_DURATION_BUCKETS_SECONDS,
    }),
    recordsSynced: registry.counter({ name: 'cadence_records_synced_total', help: 'Records received from Pipedrive, by entity.', labelNames: ['company', 'entity'] }),
    requests: registry.counter({ name: 'cadence_pipedrive_requests_total', help: 'HTTP requests sent to Pipedrive, by response status.', labelNames: ['company', 'status'] }),
    retries: registry.counter({ name: 'cadence_pipedrive_retries_total', help: 'Pipedrive requests retried.', labelNames: company }),
    rateLimited: registry.counter({ name: 'cadence_pipedrive_rate_limited_total', help: 'HTTP 429 answers received from Pipedrive.', labelNames: company }),
    activitiesCreated: registry.counter({ name: 'cadence_activities_created_total', help: 'Follow-up, renewal and escalation activities created.', labelNames: company }),
    flagsWritten: registry.counter({ name: 'cadence_flags_written_total', help: 'Organizations whose cadence flags were written.', labelNames: company }),
    findings: registry.gauge({ name: 'cadence_findings', help: 'Data-quality findings in the latest run, by kind.', labelNames: ['company', 'kind'] }),
    consecutiveFailures: registry.gauge({ name: 'cadence_consecutive_failures', help: 'Runs failed in a row since the last success.', labelNames: company }),
    lastRunTimestamp: registry.gauge({ name: 'cadence_last_run_timestamp_seconds', help: 'When the latest run finished (Unix time).', labelNames: company }),
    lastSuccessTimestamp: registry.gauge({ name: 'cadence_last_success_timestamp_seconds', help: 'When the latest successful run finished (Unix time).', labelNames: company }),
    render: () => registry.render(),
  };
}

export interface RunObservation {
  companyId: string;
  ok: boolean;
  /** Stopped early on the daily API budget (checkpoint kept): neither a success nor a failure. */
  stoppedBudget?: boolean;
  /** ISO instant. */
  finishedAt: string;
  durationMs: number;
  recordsSynced?: Readonly<Record<string, number>>;
  /**
   * Requests by status, when the HTTP layer did not count them live into `metrics.requests` (pass one
   * or the other, never both, or requests are counted twice).
   */
  requestsByStatus?: Readonly<Record<string, number>>;
  retries?: number;
  rate429?: number;
  activitiesCreated?: number;
  flagsWritten?: number;
  /** Findings of this run by problem; kinds not listed are set to 0 so a fixed problem disappears. */
  findingsByKind?: Readonly<Partial<Record<FindingProblem, number>>>;
}

/** Records one finished run (successful or not) into the metrics. */
export function observeRun(metrics: CadenceMetrics, o: RunObservation): void {
  const company = { company: o.companyId };
  metrics.runs.inc({ ...company, outcome: o.ok ? 'success' : o.stoppedBudget ? 'stopped_budget' : 'failure' });
  metrics.runDuration.observe(company, o.durationMs / 1000);
  const finished = Date.parse(o.finishedAt) / 1000;
  metrics.lastRunTimestamp.set(company, finished);
  if (o.ok) {
    metrics.lastSuccessTimestamp.set(company, finished);
    metrics.consecutiveFailures.set(company, 0);
  } else if (!o.stoppedBudget) {
    metrics.consecutiveFailures.inc(company);
  }
  for (const [entity, n] of Object.entries(o.recordsSynced ?? {})) metrics.recordsSynced.inc({ ...company, entity }, n);
  for (const [status, n] of Object.entries(o.requestsByStatus ?? {})) metrics.requests.inc({ ...company, status }, n);
  // Incrementing by 0 still creates the series, so rate() over it works from the first run.
  metrics.retries.inc(company, o.retries ?? 0);
  metrics.rateLimited.inc(company, o.rate429 ?? 0);
  metrics.activitiesCreated.inc(company, o.activitiesCreated ?? 0);
  metrics.flagsWritten.inc(company, o.flagsWritten ?? 0);
  if (o.findingsByKind) {
    for (const kind of FindingProblem.options) metrics.findings.set({ ...company, kind }, o.findingsByKind[kind] ?? 0);
  }
}
