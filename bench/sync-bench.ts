/**
 * Benchmark of the pull: a sandbox company in a child process (`sandbox/main.ts`), the real client and
 * store in this one.
 *
 *   node --import tsx bench/sync-bench.ts [--scale bench|small] [--organizations 50000] [--state sqlite://…]
 *                                         [--concurrency 4] [--reconcile]
 *
 * `bench` = 50k organizations, 200k persons, 200k deals, 1M activities; `small` = 500 organizations.
 * Prints, for a first (full) run: requests made vs the minimum possible (⌈records/500⌉ per entity), wall
 * time, peak memory; then the mirror load time; then the requests of an incremental run after 1 % of
 * every entity changed; with --reconcile, the cost of a forced id reconciliation. Results also go to
 * bench/results/sync-bench-<scale>.json (git-ignored).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { sandboxAdminClient } from '../sandbox/admin-client.js';
import { SYNCED_ENTITIES, type EntityKind } from '../src/domain/entities.js';
import { createLogger } from '../src/log/logger.js';
import { createPipedriveClient, type PipedriveClient } from '../src/pipedrive/client.js';
import { openStateStore } from '../src/store/open-state-store.js';
import { runSync, type SyncSummary } from '../src/sync/run-sync.js';
import { systemClock } from '../src/domain/clock.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'bench' },
    organizations: { type: 'string' },
    state: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    reconcile: { type: 'boolean', default: false },
  },
});
const scale = values.scale === 'small' ? 'small' : 'bench';
const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pages = (n: number) => Math.max(1, Math.ceil(n / 500));

/** Peak RSS of this process, sampled (process.resourceUsage().maxRSS never goes down, so use both). */
function memorySampler() {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakRss, peakHeap };
    },
  };
}

async function startSandboxProcess(): Promise<{ url: string; token: string; stop: () => void }> {
  const args = ['--import', 'tsx', 'sandbox/main.ts', '--scale', scale, '--burst-limit', '100000', '--daily-budget', '1000000000'];
  if (values.organizations) args.push('--organizations', values.organizations);
  const child = spawn(process.execPath, ['--max-old-space-size=8192', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
  const info = JSON.parse(line) as { url: string; token: string };
  return { ...info, stop: () => child.kill('SIGTERM') };
}

function perEntity(s: SyncSummary): Record<EntityKind, number> {
  return Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, s.entities[e].pages])) as Record<EntityKind, number>;
}

async function main(): Promise<void> {
  const logger = createLogger({ level: 'warn' });
  console.log(`sync bench: scale ${scale}${values.organizations ? ` (${values.organizations} orgs)` : ''}, concurrency ${values.concurrency}`);
  const t0 = performance.now();
  const sandbox = await startSandboxProcess();
  const admin = sandboxAdminClient(sandbox.url);
  const counts = await admin.counts();
  console.log(
    `sandbox ready in ${sec(performance.now() - t0)}: ${counts.organizations} orgs, ${counts.persons} persons, ${counts.deals} deals (+${counts.deleted.deals} deleted), ${counts.activities} activities`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'sync-bench-'));
  const stateUrl = values.state ?? `sqlite://${join(dir, 'cadence.sqlite')}`;
  const store = await openStateStore(stateUrl, logger, { namespace: `bench${process.pid}` });
  const state = store.company('bench');
  const makeClient = (): PipedriveClient =>
    createPipedriveClient({ connection: { baseUrl: sandbox.url, apiToken: sandbox.token, timeoutMs: 60_000, concurrency: Number(values.concurrency) }, logger });
  const results: Record<string, unknown> = { scale, stateUrl: stateUrl.replace(dir, '<tmp>'), counts };

  try {
    // 1. First run: everything.
    const minimum: Record<EntityKind, number> = {
      organization: pages(counts.organizations),
      person: pages(counts.persons),
      deal: pages(counts.deals + counts.deleted.deals),
      activity: pages(counts.activities),
    };
    const minTotal = Object.values(minimum).reduce((a, b) => a + b, 0);
    let mem = memorySampler();
    let t = performance.now();
    const full = await runSync({ client: makeClient(), companyState: state, logger, clock: systemClock(), reconcile: 'skip' });
    const fullMs = performance.now() - t;
    const fullMem = mem.stop();
    const fullPages = perEntity(full);
    const listRequests = Object.values(fullPages).reduce((a, b) => a + b, 0);
    console.log('\nfirst run (full pull + compaction)');
    console.log(`  list requests ${listRequests} vs minimum ${minTotal} (${JSON.stringify(fullPages)} vs ${JSON.stringify(minimum)})`);
    console.log(`  all requests ${full.requests} (incl. ${full.requests - listRequests} for users, activity types, fields), retries ${full.retries}, tokens ~${full.tokensSpent}`);
    console.log(`  wall ${sec(fullMs)}, peak RSS ${mib(fullMem.peakRss)}, peak heap ${mib(fullMem.peakHeap)}`);
    results.full = { listRequests, minimum: minTotal, perEntity: fullPages, requests: full.requests, retries: full.retries, wallMs: Math.round(fullMs), peakRss: fullMem.peakRss, peakHeap: fullMem.peakHeap };

    // 2. Mirror load, as the rules do it.
    const sizes = Object.fromEntries(await Promise.all(SYNCED_ENTITIES.map(async (e) => [e, await state.mirror.sizes(e)])));
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    t = performance.now();
    const snapshot = await state.mirror.load();
    const loadMs = performance.now() - t;
    const heapAfter = process.memoryUsage().heapUsed;
    console.log('\nmirror load');
    console.log(
      `  ${snapshot.organizations.size} orgs, ${snapshot.persons.size} persons, ${snapshot.deals.size} deals, ${snapshot.activities.size} activities in ${sec(loadMs)} (heap +${mib(heapAfter - heapBefore)}; segments ${JSON.stringify(Object.fromEntries(Object.entries(sizes).map(([e, s]) => [e, (s as { segments: number }).segments])))})`,
    );
    results.load = { ms: Math.round(loadMs), heapDelta: heapAfter - heapBefore, sizes };

    // 3. 1 % of every entity changes (a renamed record bumps its update_time), then an incremental run.
    const changed: Record<EntityKind, number> = { organization: 0, person: 0, deal: 0, activity: 0 };
    const field: Record<EntityKind, string> = { organization: 'name', person: 'name', deal: 'title', activity: 'subject' };
    const ids: Record<EntityKind, number[]> = {
      organization: [...snapshot.organizations.keys()],
      person: [...snapshot.persons.keys()],
      deal: [...snapshot.deals.keys()],
      activity: [...snapshot.activities.keys()],
    };
    t = performance.now();
    for (const e of SYNCED_ENTITIES) {
      const sample = ids[e].filter((_, i) => i % 100 === 0);
      for (let i = 0; i < sample.length; i += 32) {
        await Promise.all(sample.slice(i, i + 32).map((id) => admin.upsert(e, { id, [field[e]]: `bench change ${id}` })));
      }
      changed[e] = sample.length;
    }
    console.log(`\nchanged 1 % of records in ${sec(performance.now() - t)}: ${JSON.stringify(changed)}`);
    mem = memorySampler();
    t = performance.now();
    const inc = await runSync({ client: makeClient(), companyState: state, logger, clock: systemClock(), reconcile: 'skip' });
    const incMs = performance.now() - t;
    const incMem = mem.stop();
    const incPages = perEntity(inc);
    const expected = Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, pages(changed[e])]));
    console.log('incremental run after 1 % changed');
    console.log(`  list requests ${Object.values(incPages).reduce((a, b) => a + b, 0)} (${JSON.stringify(incPages)}; ⌈changed/500⌉ = ${JSON.stringify(expected)})`);
    console.log(`  all requests ${inc.requests}, records received ${JSON.stringify(Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, inc.entities[e].records])))}`);
    console.log(`  wall ${sec(incMs)}, peak RSS ${mib(incMem.peakRss)}`);
    results.incremental = { changed, perEntity: incPages, expected, requests: inc.requests, wallMs: Math.round(incMs), peakRss: incMem.peakRss };

    // 4. Optionally, a forced reconciliation (id walk of every entity).
    if (values.reconcile) {
      t = performance.now();
      const rec = await runSync({ client: makeClient(), companyState: state, logger, clock: systemClock(), reconcile: 'force' });
      const recMs = performance.now() - t;
      console.log('\nforced reconciliation run');
      console.log(`  requests ${rec.requests}, wall ${sec(recMs)}, removed ${JSON.stringify(rec.reconcile.result?.removed)}`);
      results.reconcile = { requests: rec.requests, wallMs: Math.round(recMs) };
    }
    console.log(`\nprocess max RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/sync-bench-${scale}.json`, JSON.stringify(results, null, 2));
  } finally {
    await store.clearNamespace().catch(() => undefined);
    await store.close();
    sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
