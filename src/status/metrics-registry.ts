/**
 * A small metrics registry (counters, gauges, fixed-bucket histograms, all with labels) and its
 * rendering in the Prometheus text exposition format 0.0.4. Hand-written because the worker needs a
 * dozen series and no default process metrics or global registry; each registry is an ordinary object
 * built in the composition root.
 *
 * Format reference: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export type LabelValues = Readonly<Record<string, string | number>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface MetricDef {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

export interface Counter {
  inc(labels?: LabelValues, by?: number): void;
  get(labels?: LabelValues): number;
}
export interface Gauge {
  set(labels: LabelValues, value: number): void;
  inc(labels?: LabelValues, by?: number): void;
  get(labels?: LabelValues): number;
}
export interface Histogram {
  observe(labels: LabelValues, value: number): void;
  /** Count and sum of observations for a label set (for tests and logs). */
  get(labels?: LabelValues): { count: number; sum: number };
}

export interface MetricsRegistry {
  counter(def: MetricDef): Counter;
  gauge(def: MetricDef): Gauge;
  histogram(def: MetricDef & { buckets: readonly number[] }): Histogram;
  /** Every metric in the Prometheus text format, one HELP and TYPE block per metric. */
  render(): string;
}

/** Sample values: integers as is, ±Inf and NaN spelled the way Prometheus reads them. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

interface Series<T> {
  labels: [string, string][];
  value: T;
}

interface Metric {
  name: string;
  render(): string[];
}

export function createRegistry(): MetricsRegistry {
  const metrics: Metric[] = [];

  function register(def: MetricDef, reserved: readonly string[] = []): readonly string[] {
    if (!METRIC_NAME.test(def.name)) throw new Error(`invalid metric name "${def.name}": use letters, digits, _ and :`);
    if (metrics.some((m) => m.name === def.name)) throw new Error(`metric "${def.name}" is already registered`);
    const labelNames = def.labelNames ?? [];
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__') || reserved.includes(l)) {
        throw new Error(`invalid label name "${l}" on metric "${def.name}"`);
      }
    }
    return labelNames;
  }

  /** Label values in declared order; every declared label must be given, and no other. */
  function keyOf(name: string, labelNames: readonly string[], labels: LabelValues = {}): { key: string; pairs: [string, string][] } {
    const given = Object.keys(labels);
    const unknown = given.filter((l) => !labelNames.includes(l));
    const missing = labelNames.filter((l) => !(l in labels));
    if (unknown.length > 0 || missing.length > 0) {
      throw new Error(`metric "${name}" takes labels {${labelNames.join(', ')}}; got {${given.join(', ')}}`);
    }
    const pairs = labelNames.map((l): [string, string] => [l, String(labels[l])]);
    return { key: JSON.stringify(pairs.map((p) => p[1])), pairs };
  }

  const labelText = (pairs: readonly [string, string][]): string =>
    pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
  const header = (def: MetricDef, type: string): string[] => [`# HELP ${def.name} ${escapeHelp(def.help)}`, `# TYPE ${def.name} ${type}`];

  function scalar(def: MetricDef, type: 'counter' | 'gauge') {
    const labelNames = register(def);
    const series = new Map<string, Series<number>>();
    const cell = (labels?: LabelValues): Series<number> => {
      const { key, pairs } = keyOf(def.name, labelNames, labels);
      let s = series.get(key);
      if (!s) {
        s = { labels: pairs, value: 0 };
        series.set(key, s);
      }
      return s;
    };
    metrics.push({
      name: def.name,
      render: () => [...header(def, type), ...[...series.values()].map((s) => `${def.name}${labelText(s.labels)} ${formatSampleValue(s.value)}`)],
    });
    return {
      cell,
      get: (labels?: LabelValues): number => series.get(keyOf(def.name, labelNames, labels).key)?.value ?? 0,
    };
  }

  return {
    counter(def) {
      const { cell, get } = scalar(def, 'counter');
      return {
        inc(labels, by = 1) {
          if (!(by >= 0)) throw new Error(`counter "${def.name}" can only increase (got ${by})`);
          cell(labels).value += by;
        },
        get,
      };
    },
    gauge(def) {
      const { cell, get } = scalar(def, 'gauge');
      return {
        set(labels, value) {
          cell(labels).value = value;
        },
        inc(labels, by = 1) {
          cell(labels).value += by;
        },
        get,
      };
    },
    histogram(def) {
      const labelNames = register(def, ['le']);
      const buckets = [...def.buckets].sort((a, b) => a - b);
      if (buckets.length === 0 || buckets.some((b) => !Number.isFinite(b)) || new Set(buckets).size !== buckets.length) {
        throw new Error(`histogram "${def.name}" needs distinct finite buckets (+Inf is added automatically)`);
      }
      const series = new Map<string, Series<{ counts: number[]; sum: number; count: number }>>();
      metrics.push({
        name: def.name,
        render: () => [
          ...header(def, 'histogram'),
          ...[...series.values()].flatMap((s) => {
            // Bucket counts are cumulative: each `le` counts every observation at or below it.
            const lines = buckets.map(
              (b, i) => `${def.name}_bucket${labelText([...s.labels, ['le', formatSampleValue(b)]])} ${s.value.counts[i]}`,
            );
            lines.push(`${def.name}_bucket${labelText([...s.labels, ['le', '+Inf']])} ${s.value.count}`);
            lines.push(`${def.name}_sum${labelText(s.labels)} ${formatSampleValue(s.value.sum)}`);
            lines.push(`${def.name}_count${labelText(s.labels)} ${s.value.count}`);
            return lines;
          }),
        ],
      });
      return {
        observe(labels, value) {
          if (Number.isNaN(value)) throw new Error(`histogram "${def.name}" cannot observe NaN`);
          const { key, pairs } = keyOf(def.name, labelNames, labels);
          let s = series.get(key);
          if (!s) {
            s = { labels: pairs, value: { counts: buckets.map(() => 0), sum: 0, count: 0 } };
            series.set(key, s);
          }
          buckets.forEach((b, i) => {
            if (value <= b) s.value.counts[i]! += 1;
          });
          s.value.sum += value;
          s.value.count += 1;
        },
        get(labels) {
          const s = series.get(keyOf(def.name, labelNames, labels).key);
          return { count: s?.value.count ?? 0, sum: s?.value.sum ?? 0 };
        },
      };
    },
    render() {
      return metrics.map((m) => m.render().join('\n')).join('\n') + '\n';
    },
  };
}
