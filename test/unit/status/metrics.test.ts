import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Counter, Gauge, Histogram, register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, observeRun } from '../../../src/status/metrics.js';
import { checkPrometheusText } from './prometheus-strict.js';
import { FindingProblem } from '../../../src/domain/vocabulary.js';

/** Every metric the worker defines: name, type and help, as operators' dashboards and alerts know them. */
const WORKER_METRICS: [name: string, type: string, help: string][] = [
  ['cadence_runs_total', 'counter', 'Worker runs, by outcome.'],
  ['cadence_run_duration_seconds', 'histogram', 'Wall-clock duration of a run (sync, rules, plan, apply, reports).'],
  ['cadence_records_synced_total', 'counter', 'Records received from Pipedrive, by entity.'],
  ['cadence_pipedrive_requests_total', 'counter', 'HTTP requests sent to Pipedrive, by response status.'],
  ['cadence_pipedrive_retries_total', 'counter', 'Pipedrive requests retried.'],
  ['cadence_pipedrive_rate_limited_total', 'counter', 'HTTP 429 answers received from Pipedrive.'],
  ['cadence_activities_created_total', 'counter', 'Follow-up, renewal and escalation activities created.'],
  ['cadence_flags_written_total', 'counter', 'Organizations whose cadence flags were written.'],
  ['cadence_findings', 'gauge', 'Data-quality findings in the latest run, by kind.'],
  ['cadence_consecutive_failures', 'gauge', 'Runs failed in a row since the last success.'],
  ['cadence_last_run_timestamp_seconds', 'gauge', 'When the latest run finished (Unix time).'],
  ['cadence_last_success_timestamp_seconds', 'gauge', 'When the latest successful run finished (Unix time).'],
  ['cadence_webhook_subscriptions', 'gauge', 'Webhook subscriptions of the company by state, as the latest run read them.'],
];

describe('metrics registry (prom-client, the worker\'s own registry)', () => {
  it('exposes every worker metric with its name, type and help, and the default process metrics beside them', async () => {
    const m = createMetrics();
    observeRun(m, { companyId: 'acme', ok: true, finishedAt: '2026-11-20T13:00:00Z', durationMs: 5_000 });
    const text = await m.render();
    const { families, samples } = checkPrometheusText(text);
    for (const [name, type, help] of WORKER_METRICS) {
      expect(text).toContain(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
    }
    for (const [name, type] of [
      ['process_resident_memory_bytes', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['nodejs_active_handles_total', 'gauge'],
      ['nodejs_gc_duration_seconds', 'histogram'],
    ]) {
      expect(families.get(name!), name).toBe(type);
    }
    expect(samples.find((s) => s.name === 'process_resident_memory_bytes')!.value).toBeGreaterThan(0);
    expect(samples.find((s) => s.name === 'cadence_runs_total')).toEqual({ name: 'cadence_runs_total', labels: { company: 'acme', outcome: 'success' }, value: 1 });
  });

  it('keeps each deployment\'s series in its own registry, none in prom-client\'s global one', async () => {
    const a = createMetrics();
    const b = createMetrics(); // a second registry with the same names: no "already registered"
    a.runs.inc({ company: 'acme', outcome: 'success' });
    expect(await b.render()).not.toContain('cadence_runs_total{');
    expect(await a.render()).toContain('cadence_runs_total{company="acme",outcome="success"} 1\n');
    expect(globalRegistry.getSingleMetric('cadence_runs_total')).toBeUndefined();
    expect(globalRegistry.getSingleMetric('process_resident_memory_bytes')).toBeUndefined();
  });

  it('escapes label values and help text so a parser reads back the original', async () => {
    const m = createMetrics();
    const c = new Counter({ name: 'odd_total', help: 'Back\\slash and\nnewline.', labelNames: ['company'], registers: [m.registry] });
    const nasty = 'ação "quoted" back\\slash\nline';
    c.inc({ company: nasty });
    const text = await m.render();
    expect(text).toContain('odd_total{company="ação \\"quoted\\" back\\\\slash\\nline"} 1');
    const family = parsePrometheusTextFormat(text).find((f) => f.name === 'odd_total');
    expect(family!.help).toBe('Back\\slash and\nnewline.');
    expect(family!.metrics[0]!.labels).toEqual({ company: nasty });
    expect(checkPrometheusText(text).samples.find((s) => s.name === 'odd_total')!.labels).toEqual({ company: nasty });
  });

  it('refuses misuse with a message that says what is wrong', () => {
    const m = createMetrics();
    const c = new Counter({ name: 'a_total', help: 'a', labelNames: ['company'], registers: [m.registry] });
    expect(() => c.inc({ company: 'x', extra: 1 } as never)).toThrow(/label "extra" is not included in initial labelset/);
    expect(() => c.inc({ company: 'x' }, -1)).toThrow(/not possible to decrease a counter/);
    expect(() => new Counter({ name: 'cadence_runs_total', help: 'again', registers: [m.registry] })).toThrow(/already been registered/);
    expect(() => new Gauge({ name: 'bad-name', help: 'x', registers: [m.registry] })).toThrow(/Invalid metric name/);
    expect(() => new Histogram({ name: 'h', help: 'x', labelNames: ['le'], buckets: [1], registers: [m.registry] })).toThrow(/le is a reserved label/);
  });

  it('spells infinities and NaN so Prometheus reads them', async () => {
    const m = createMetrics();
    const g = new Gauge({ name: 'g', help: 'x', labelNames: ['k'], registers: [m.registry] });
    g.set({ k: 'a' }, Infinity);
    g.set({ k: 'b' }, -Infinity);
    g.set({ k: 'c' }, NaN);
    const text = await m.render();
    expect(text).toContain('g{k="a"} +Inf\ng{k="b"} -Inf\ng{k="c"} Nan\n');
    const values = checkPrometheusText(text).samples.filter((s) => s.name === 'g').map((s) => s.value);
    expect(values).toEqual([Infinity, -Infinity, NaN]);
  });
});

describe('cadence metrics', () => {
  it('gauges the webhook subscriptions by state as the latest run read them; none while a company does not check them', async () => {
    const m = createMetrics();
    const at = '2026-11-20T13:00:00Z';
    observeRun(m, { companyId: 'acme', ok: true, finishedAt: at, durationMs: 1, webhookSubscriptions: { ok: 2, failing: 1, missing: 1, inactive: 0 } });
    observeRun(m, { companyId: 'beta', ok: true, finishedAt: at, durationMs: 1 });
    const series = async () => checkPrometheusText(await m.render()).samples.filter((s) => s.name === 'cadence_webhook_subscriptions').map((s) => `${s.labels.company}:${s.labels.state}=${s.value}`);
    expect(await series()).toEqual(['acme:ok=2', 'acme:failing=1', 'acme:missing=1', 'acme:inactive=0']);
    // Fixed the next night (re-run setup --webhooks): the failing and missing ones drop to 0.
    observeRun(m, { companyId: 'acme', ok: true, finishedAt: at, durationMs: 1, webhookSubscriptions: { ok: 4, failing: 0, missing: 0, inactive: 0 } });
    expect(await series()).toEqual(['acme:ok=4', 'acme:failing=0', 'acme:missing=0', 'acme:inactive=0']);
  });

  it('records runs, failures in a row, records, requests, retries, 429s, writes and findings by kind', async () => {
    const m = createMetrics();
    observeRun(m, {
      companyId: 'acme', ok: true, finishedAt: '2026-11-20T13:00:00Z', durationMs: 42_000,
      recordsSynced: { organization: 10, activity: 500 }, requestsByStatus: { '200': 30, '429': 2 },
      retries: 3, rate429: 2, activitiesCreated: 4, flagsWritten: 7, findingsByKind: { missing: 5, no_owner: 1 },
    });
    observeRun(m, { companyId: 'acme', ok: false, finishedAt: '2026-11-21T13:00:00Z', durationMs: 2_000 });
    observeRun(m, { companyId: 'acme', ok: false, finishedAt: '2026-11-22T13:00:00Z', durationMs: 2_000 });
    observeRun(m, { companyId: 'beta', ok: true, finishedAt: '2026-11-22T13:00:00Z', durationMs: 400_000 });

    const text = await m.render();
    const { samples, families } = checkPrometheusText(text);
    // Label order carries no meaning in the format (prom-client writes a bucket's `le` first).
    const sorted = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && sorted(s.labels) === sorted(labels))?.value;
    expect(value('cadence_runs_total', { company: 'acme', outcome: 'success' })).toBe(1);
    expect(value('cadence_runs_total', { company: 'acme', outcome: 'failure' })).toBe(2);
    expect(value('cadence_consecutive_failures', { company: 'acme' })).toBe(2);
    expect(value('cadence_consecutive_failures', { company: 'beta' })).toBe(0);
    expect(value('cadence_records_synced_total', { company: 'acme', entity: 'activity' })).toBe(500);
    expect(value('cadence_pipedrive_requests_total', { company: 'acme', status: '429' })).toBe(2);
    expect(value('cadence_pipedrive_retries_total', { company: 'acme' })).toBe(3);
    expect(value('cadence_pipedrive_rate_limited_total', { company: 'acme' })).toBe(2);
    expect(value('cadence_activities_created_total', { company: 'acme' })).toBe(4);
    expect(value('cadence_flags_written_total', { company: 'acme' })).toBe(7);
    expect(value('cadence_findings', { company: 'acme', kind: 'missing' })).toBe(5);
    expect(value('cadence_findings', { company: 'acme', kind: 'invalid_date' })).toBe(0);
    expect(samples.filter((s) => s.name === 'cadence_findings')).toHaveLength(FindingProblem.options.length);
    expect(value('cadence_last_success_timestamp_seconds', { company: 'acme' })).toBe(Date.parse('2026-11-20T13:00:00Z') / 1000);
    expect(value('cadence_last_run_timestamp_seconds', { company: 'acme' })).toBe(Date.parse('2026-11-22T13:00:00Z') / 1000);
    expect(value('cadence_run_duration_seconds_count', { company: 'acme' })).toBe(3);
    expect(value('cadence_run_duration_seconds_bucket', { company: 'beta', le: '300' })).toBe(0);
    expect(value('cadence_run_duration_seconds_bucket', { company: 'beta', le: '600' })).toBe(1);
    expect(families.get('cadence_run_duration_seconds')).toBe('histogram');

    // The independent npm parser reads the same exposition.
    const parsed = parsePrometheusTextFormat(text);
    const runs = parsed.find((f) => f.name === 'cadence_runs_total')!;
    expect(runs.type).toBe('COUNTER');
    expect(runs.metrics).toContainEqual({ labels: { company: 'acme', outcome: 'failure' }, value: '2' });
    // That parser flattens histograms as if they had no labels (it drops labelled _sum/_count), so the
    // per-company histogram values are checked with the strict checker above; here only the family.
    expect(parsed.find((f) => f.name === 'cadence_run_duration_seconds')!.type).toBe('HISTOGRAM');
    expect(value('cadence_run_duration_seconds_sum', { company: 'acme' })).toBe(46);
    expect(value('cadence_run_duration_seconds_bucket', { company: 'acme', le: '5' })).toBe(2);
    const gauges = parsed.find((f) => f.name === 'cadence_findings')!;
    expect(gauges.type).toBe('GAUGE');
    expect(gauges.metrics).toContainEqual({ labels: { company: 'acme', kind: 'no_owner' }, value: '1' });
  });
});

describe('strict exposition checker (test support)', () => {
  it.each([
    ['a sample without TYPE', '# HELP x x\nx 1\n'],
    ['a bad metric name', '# HELP 1x x\n# TYPE 1x gauge\n1x 1\n'],
    ['a bad value', '# HELP x x\n# TYPE x gauge\nx one\n'],
    ['an unescaped quote', '# HELP x x\n# TYPE x gauge\nx{a="b"c"} 1\n'],
    ['a repeated series', '# HELP x x\n# TYPE x gauge\nx{a="b"} 1\nx{a="b"} 2\n'],
    ['a missing final line feed', '# HELP x x\n# TYPE x gauge\nx 1'],
    ['non-cumulative buckets', '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['+Inf differing from _count', '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'],
  ])('rejects %s', (_what, text) => {
    expect(() => checkPrometheusText(text)).toThrow();
  });
});
