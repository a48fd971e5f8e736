import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../../src/status/metrics-registry.js';
import { createMetrics, observeRun } from '../../../src/status/metrics.js';
import { checkPrometheusText } from './prometheus-strict.js';
import { FindingProblem } from '../../../src/domain/vocabulary.js';

describe('metrics registry', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'] });
    const g = r.gauge({ name: 'temperature', help: 'Degrees.' });
    const h = r.histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], buckets: [1, 0.1, 0.5] });
    c.inc({ queue: 'a' });
    c.inc({ queue: 'a' }, 2);
    c.inc({ queue: 'b' }, 0);
    g.set({}, -1.5);
    for (const v of [0.05, 0.3, 0.3, 2]) h.observe({ route: '/x' }, v);
    expect(r.render()).toBe(
      [
        '# HELP jobs_total Jobs done.',
        '# TYPE jobs_total counter',
        'jobs_total{queue="a"} 3',
        'jobs_total{queue="b"} 0',
        '# HELP temperature Degrees.',
        '# TYPE temperature gauge',
        'temperature -1.5',
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{route="/x",le="0.1"} 1',
        'latency_seconds_bucket{route="/x",le="0.5"} 3',
        'latency_seconds_bucket{route="/x",le="1"} 3',
        'latency_seconds_bucket{route="/x",le="+Inf"} 4',
        'latency_seconds_sum{route="/x"} 2.65',
        'latency_seconds_count{route="/x"} 4',
        '',
      ].join('\n'),
    );
    expect(h.get({ route: '/x' })).toEqual({ count: 4, sum: 2.65 });
    checkPrometheusText(r.render());
  });

  it('escapes label values and help text so a parser reads back the original', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'odd_total', help: 'Back\\slash and\nnewline.', labelNames: ['company'] });
    const nasty = 'ação "quoted" back\\slash\nline';
    c.inc({ company: nasty });
    const text = r.render();
    expect(text).toContain('odd_total{company="ação \\"quoted\\" back\\\\slash\\nline"} 1');
    const [family] = parsePrometheusTextFormat(text);
    expect(family!.help).toBe('Back\\slash and\nnewline.');
    expect(family!.metrics[0]!.labels).toEqual({ company: nasty });
    expect(checkPrometheusText(text).samples[0]!.labels).toEqual({ company: nasty });
  });

  it('refuses misuse with a message that says what is wrong', () => {
    const r = createRegistry();
    const c = r.counter({ name: 'a_total', help: 'a', labelNames: ['company'] });
    expect(() => c.inc({})).toThrow('metric "a_total" takes labels {company}; got {}');
    expect(() => c.inc({ company: 'x', extra: 1 })).toThrow(/takes labels \{company\}; got \{company, extra\}/);
    expect(() => c.inc({ company: 'x' }, -1)).toThrow(/can only increase/);
    expect(() => r.counter({ name: 'a_total', help: 'again' })).toThrow(/already registered/);
    expect(() => r.gauge({ name: 'bad-name', help: 'x' })).toThrow(/invalid metric name/);
    expect(() => r.gauge({ name: 'g', help: 'x', labelNames: ['__reserved'] })).toThrow(/invalid label name/);
    expect(() => r.histogram({ name: 'h', help: 'x', labelNames: ['le'], buckets: [1] })).toThrow(/invalid label name "le"/);
    expect(() => r.histogram({ name: 'h2', help: 'x', buckets: [] })).toThrow(/distinct finite buckets/);
  });

  it('spells infinities and NaN the Prometheus way', () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'g', help: 'x', labelNames: ['k'] });
    g.set({ k: 'a' }, Infinity);
    g.set({ k: 'b' }, -Infinity);
    g.set({ k: 'c' }, NaN);
    expect(r.render()).toContain('g{k="a"} +Inf\ng{k="b"} -Inf\ng{k="c"} NaN\n');
    checkPrometheusText(r.render());
  });
});

describe('cadence metrics', () => {
  it('records runs, failures in a row, records, requests, retries, 429s, writes and findings by kind', () => {
    const m = createMetrics();
    observeRun(m, {
      companyId: 'acme', ok: true, finishedAt: '2026-11-20T13:00:00Z', durationMs: 42_000,
      recordsSynced: { organization: 10, activity: 500 }, requestsByStatus: { '200': 30, '429': 2 },
      retries: 3, rate429: 2, activitiesCreated: 4, flagsWritten: 7, findingsByKind: { missing: 5, no_owner: 1 },
    });
    observeRun(m, { companyId: 'acme', ok: false, finishedAt: '2026-11-21T13:00:00Z', durationMs: 2_000 });
    observeRun(m, { companyId: 'acme', ok: false, finishedAt: '2026-11-22T13:00:00Z', durationMs: 2_000 });
    observeRun(m, { companyId: 'beta', ok: true, finishedAt: '2026-11-22T13:00:00Z', durationMs: 400_000 });

    const text = m.render();
    const { samples, families } = checkPrometheusText(text);
    const value = (name: string, labels: Record<string, string>) =>
      samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
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
