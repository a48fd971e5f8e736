/**
 * The worker's metrics: what an operator watches (runs, their duration, records synced, Pipedrive
 * requests by status, retries, 429s, writes, findings by kind, consecutive failures per company), and
 * beside them prom-client's default process metrics (memory, CPU, event-loop lag, GC, handles).
 * Build one with `createMetrics()` in the composition root and pass it to the parts that count; each
 * has its own prom-client `Registry` (never the library's global one), so two deployments or two
 * tests in one process do not share series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { FindingProblem } from '../domain/vocabulary.js';

export interface CadenceMetrics {
  /** The worker's own registry: register further metrics on it with `registers: [metrics.registry]`. */
  registry: Registry;
  /** {company, outcome: success|failure|stopped_budget} */
  runs: Counter<'company' | 'outcome'>;
  /** {company} seconds */
  runDuration: Histogram<'company'>;
  /** {company, entity} */
  recordsSynced: Counter<'company' | 'entity'>;
  /** {company, status}: the HTTP status code, or `error` when no answer came back */
  requests: Counter<'company' | 'status'>;
  /** {company} */
  retries: Counter<'company'>;
  /** {company} */
  rateLimited: Counter<'company'>;
  /** {company} */
  activitiesCreated: Counter<'company'>;
  /** {company}: organizations whose flags were written */
  flagsWritten: Counter<'company'>;
  /** {company, kind}: findings of the latest run, by problem */
  findings: Gauge<'company' | 'kind'>;
  /** {company}: runs failed in a row since the last success */
  consecutiveFailures: Gauge<'company'>;
  /** {company} Unix seconds */
  lastRunTimestamp: Gauge<'company'>;
  /** {company} Unix seconds */
  lastSuccessTimestamp: Gauge<'company'>;
  /**
   * {company, state}: this company's webhook subscriptions by state as the latest run read them
   * (ok, failing, inactive, missing, elsewhere; unknown when they could not be listed); absent while
   * near-real-time is not configured.
   */
  webhookSubscriptions: Gauge<'company' | 'state'>;
  /** Every metric in the Prometheus text format (prom-client's exposition of the registry). */
  render(): Promise<string>;
}

/** Run durations range from seconds (small accounts) to the better part of an hour (first sync of 1M activities). */
export const RUN_DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

export function createMetrics(): CadenceMetrics {
  const registry = new Registry();
  const registers = [registry];
  const company = ['company'] as const;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers });
  const metrics: CadenceMetrics = {
    registry,
    runs: counter('cadence_runs_total', 'Worker runs, by outcome.', ['company', 'outcome']),
    runDuration: new Histogram({
      name: 'cadence_run_duration_seconds',
      help: 'Wall-clock duration of a run (sync, rules, plan, apply, reports).',
      labelNames: company,
      buckets: RUN_DURATION_BUCKETS_SECONDS,
      registers,
    }),
    recordsSynced: counter('cadence_records_synced_total', 'Records received from Pipedrive, by entity.', ['company', 'entity']),
    requests: counter('cadence_pipedrive_requests_total', 'HTTP requests sent to Pipedrive, by response status.', ['company', 'status']),
    retries: counter('cadence_pipedrive_retries_total', 'Pipedrive requests retried.', company),
    rateLimited: counter('cadence_pipedrive_rate_limited_total', 'HTTP 429 answers received from Pipedrive.', company),
    activitiesCreated: counter('cadence_activities_created_total', 'Follow-up, renewal and escalation activities created.', company),
    flagsWritten: counter('cadence_flags_written_total', 'Organizations whose cadence flags were written.', company),
    findings: gauge('cadence_findings', 'Data-quality findings in the latest run, by kind.', ['company', 'kind']),
    consecutiveFailures: gauge('cadence_consecutive_failures', 'Runs failed in a row since the last success.', company),
    lastRunTimestamp: gauge('cadence_last_run_timestamp_seconds', 'When the latest run finished (Unix time).', company),
    lastSuccessTimestamp: gauge('cadence_last_success_timestamp_seconds', 'When the latest successful run finished (Unix time).', company),
    webhookSubscriptions: gauge('cadence_webhook_subscriptions', 'Webhook subscriptions of the company by state, as the latest run read them.', ['company', 'state']),
    render: () => registry.metrics(),
  };
  collectDefaultMetrics({ register: registry });
  return metrics;
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
  /** Webhook subscriptions by state (every state, 0 included, so a fixed one drops to 0); absent when not checked. */
  webhookSubscriptions?: Readonly<Record<string, number>>;
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
  for (const [state, n] of Object.entries(o.webhookSubscriptions ?? {})) metrics.webhookSubscriptions.set({ ...company, state }, n);
}
