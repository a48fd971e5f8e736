/**
 * Measures the sandbox at a given scale: dataset generation time and memory, then page serve times
 * over real HTTP (id walk, update_time walk, writes interleaved with reads).
 * `npx tsx sandbox/measure.ts [organizations=50000]` (run with `node --expose-gc` flags via NODE_OPTIONS for exact heap).
 */
import { BENCH_SCALE, generateDataset } from './generator.js';
import { startSandbox } from './server.js';

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
const gc = (globalThis as { gc?: () => void }).gc;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function main(): Promise<void> {
  const organizations = Number(process.argv[2] ?? BENCH_SCALE.organizations);
  const now = new Date('2026-11-25T12:00:00Z');
  gc?.();
  const base = process.memoryUsage();
  const t0 = performance.now();
  const dataset = generateDataset({ seed: 1, now, scale: { ...BENCH_SCALE, organizations } });
  const genMs = performance.now() - t0;
  gc?.();
  const mem = process.memoryUsage();
  console.log(`generate: ${organizations} orgs, ${dataset.persons.length} persons, ${dataset.deals.length} deals, ${dataset.activities.length} activities in ${(genMs / 1000).toFixed(1)} s`);
  console.log(`memory after generation: heapUsed ${mib(mem.heapUsed - base.heapUsed)} (delta), rss ${mib(mem.rss)}`);

  let t = now.getTime();
  const sb = await startSandbox({ dataset, now: () => new Date((t += 1000)), rateLimit: { burstLimit: 1_000_000, dailyTokenBudget: 1e12 } });
  const get = async (path: string): Promise<{ ms: number; next: string | null; n: number; bytes: number }> => {
    const s = performance.now();
    const res = await fetch(sb.url + path, { headers: { 'x-api-token': sb.token } });
    const text = await res.text();
    const ms = performance.now() - s;
    const json = JSON.parse(text) as { data: unknown[]; additional_data: { next_cursor: string | null } };
    return { ms, next: json.additional_data.next_cursor, n: json.data.length, bytes: text.length };
  };
  const walkAll = async (path: string, maxPages = Infinity): Promise<{ times: number[]; total: number; bytes: number }> => {
    const times: number[] = [];
    let cursor: string | null = null;
    let total = 0;
    let bytes = 0;
    do {
      const r = await get(path + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''));
      times.push(r.ms);
      total += r.n;
      bytes += r.bytes;
      cursor = r.next;
    } while (cursor && times.length < maxPages);
    return { times, total, bytes };
  };
  const report = (label: string, w: { times: number[]; total: number; bytes: number }): void => {
    const sum = w.times.reduce((a, b) => a + b, 0);
    console.log(
      `${label}: ${w.times.length} pages, ${w.total} records in ${(sum / 1000).toFixed(1)} s; per page p50 ${pct(w.times, 50).toFixed(1)} ms, ` +
        `p95 ${pct(w.times, 95).toFixed(1)} ms, max ${Math.max(...w.times).toFixed(1)} ms; ${(w.bytes / w.times.length / 1024).toFixed(0)} KiB/page`,
    );
  };

  report('activities by id, limit 500', await walkAll('/api/v2/activities?limit=500'));
  report('organizations by update_time, limit 500 (first page builds the index)', await walkAll('/api/v2/organizations?limit=500&sort_by=update_time'));
  report('activities by update_time, limit 500', await walkAll('/api/v2/activities?limit=500&sort_by=update_time'));

  // Writes interleaved with reads: the dirty overlay instead of re-sorting 1M records.
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    await fetch(`${sb.url}/api/v2/activities/${1 + i * 997}`, {
      method: 'PATCH', headers: { 'x-api-token': sb.token, 'content-type': 'application/json' }, body: JSON.stringify({ done: true }),
    });
    times.push(performance.now() - s);
    const r = await get(`/api/v2/activities?limit=500&sort_by=update_time&updated_since=${encodeURIComponent(new Date(now.getTime() - 86_400_000).toISOString().slice(0, 19) + 'Z')}`);
    times.push(r.ms);
  }
  console.log(`200 × (PATCH + incremental list since yesterday): p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms`);
  report('activities filtered by org_id (full scan)', await walkAll('/api/v2/activities?limit=500&org_id=777', 5));
  gc?.();
  console.log(`memory at the end: heapUsed ${mib(process.memoryUsage().heapUsed)}, rss ${mib(process.memoryUsage().rss)}`);
  await sb.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
