/**
 * A strict checker of the Prometheus text format 0.0.4, beside the npm parser (which is lenient about
 * names and values): every line is a HELP, a TYPE or a sample; names and label names are valid; values
 * are Go floats; each family has HELP and TYPE before its samples and appears once; no series repeats;
 * histogram buckets are cumulative and end with +Inf equal to _count. Throws with the line number.
 * As the format says, empty lines are ignored and values are what Go's ParseFloat reads (so `NaN`,
 * `Nan` and `+Inf` alike: prom-client writes `Nan`).
 */
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const VALUE = String.raw`(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?[iI][nN][fF]|[nN][aA][nN])`;
const LABEL_PAIR = String.raw`${LABEL}="(?:[^"\\\n]|\\[\\"n])*"`;
const SAMPLE = new RegExp(String.raw`^(${NAME})(?:\{((?:${LABEL_PAIR})(?:,${LABEL_PAIR})*)?,?\})? (${VALUE})(?: -?\d+)?$`);
const HELP = new RegExp(String.raw`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(String.raw`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

export interface StrictSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  for (const m of text.matchAll(new RegExp(String.raw`(${LABEL})="((?:[^"\\\n]|\\[\\"n])*)"`, 'g'))) {
    if (m[1]! in labels) throw new Error(`label ${m[1]} repeated`);
    labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function toNumber(v: string): number {
  if (/^[+]?inf$/i.test(v)) return Infinity;
  if (/^-inf$/i.test(v)) return -Infinity;
  return Number(v);
}

export function checkPrometheusText(text: string): { families: Map<string, string>; samples: StrictSample[] } {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const families = new Map<string, string>();
  const helped = new Set<string>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  const samples: StrictSample[] = [];
  let current: string | null = null;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    const where = `line ${i + 1} "${line}"`;
    let family: string;
    const help = HELP.exec(line);
    const type = TYPE.exec(line);
    if (help) {
      family = help[1]!;
      if (helped.has(family)) throw new Error(`${where}: second HELP for ${family}`);
      helped.add(family);
    } else if (type) {
      family = type[1]!;
      if (families.has(family)) throw new Error(`${where}: second TYPE for ${family}`);
      families.set(family, type[2]!);
    } else {
      const m = SAMPLE.exec(line);
      if (!m) throw new Error(`${where}: not a valid sample line`);
      const name = m[1]!;
      family = [...families.keys()].find((f) => name === f || (families.get(f) === 'histogram' && [`${f}_bucket`, `${f}_sum`, `${f}_count`].includes(name))) ?? '';
      if (!family) throw new Error(`${where}: sample without a TYPE line`);
      const labels = parseLabels(m[2]);
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) throw new Error(`${where}: series repeated`);
      seen.add(key);
      samples.push({ name, labels, value: toNumber(m[3]!) });
    }
    if (family !== current) {
      if (closed.has(family)) throw new Error(`${where}: family ${family} is split`);
      if (current) closed.add(current);
      current = family;
    }
  });
  for (const [family, type] of families) {
    if (!helped.has(family)) throw new Error(`family ${family} has no HELP`);
    if (type === 'counter' && samples.some((s) => s.name === family && s.value < 0)) throw new Error(`counter ${family} is negative`);
    if (type !== 'histogram') continue;
    const groups = new Map<string, StrictSample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const k = JSON.stringify(Object.entries(rest).sort());
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const [k, buckets] of groups) {
      const les = buckets.map((b) => toNumber(b.labels.le!));
      if (les.some((v, j) => j > 0 && v <= les[j - 1]!)) throw new Error(`${family}: buckets not in increasing le order`);
      if (les.at(-1) !== Infinity) throw new Error(`${family}: last bucket is not +Inf`);
      if (buckets.some((b, j) => j > 0 && b.value < buckets[j - 1]!.value)) throw new Error(`${family}: buckets not cumulative`);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === k);
      if (!count || count.value !== buckets.at(-1)!.value) throw new Error(`${family}: +Inf bucket differs from _count`);
      if (!samples.some((s) => s.name === `${family}_sum` && JSON.stringify(Object.entries(s.labels).sort()) === k)) throw new Error(`${family}: no _sum`);
    }
  }
  return { families, samples };
}
