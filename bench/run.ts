/**
 * `npm run bench [-- --scale full|medium|small] [--latency-ms 80] [--burst-limit 100] [--baseline-cap-min N] [--skip-baseline]`
 *
 * The evidence for "why not a loop over the SDK": the real nightly job against the sandbox, compared in the
 * same run with the naive baseline (bench/baseline.ts), both as child processes so that wall time, peak RSS
 * and CPU are each process's own; every request count is taken on the sandbox side (its own counters), so
 * both are counted the same way.
 *
 * Setting: the sandbox (bench/sandbox-child.ts, its own process) on loopback with a per-request latency and
 * the burst limit of a Premium API token (100 requests per rolling 2 s) and a daily budget large enough.
 * `full` = 50k organizations, 200k persons, 200k deals, 1M activities; `medium` = a tenth of it; `small` =
 * 500 / 2k / 2k / 10k (CI smoke test: checks that the benchmark runs, asserts nothing about speed).
 *
 * Sections:
 * 1. the full nightly job (empty state store: full pull, rules, plan, apply, reports) vs the baseline, on
 *    two identically generated and seeded sandboxes (Pipedrive in the state earlier nights leave, with a
 *    share of clients needing writes tonight, see sandbox-child.ts);
 * 2. our requests vs the minimum possible (⌈records/500⌉ per entity + one per write);
 * 3. an incremental night after 1 % of the records changed (through the sandbox admin API);
 * 4. rules + plan on the mirror the job left (time, heap, peak RSS);
 * 5. write throughput of `cadence apply` vs the burst limit the sandbox advertises, at the benchmark latency
 *    and at zero latency.
 * Prints Markdown tables and writes everything to bench/results/bench-<scale>.json.
 * `BENCH_CPU_PROF=<dir>` in the environment: each measured child (ours-full, ours-incremental, rules-plan,
 * baseline, …) also writes a V8 CPU profile `<label>.cpuprofile` there, for Chrome DevTools.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SYNCED_ENTITIES, type EntityKind } from '../src/domain/entities.js';
import { openStateStore } from '../src/store/open-state-store.js';
import type { SandboxStats } from '../sandbox/server.js';
import {
  cadenceEnv,
  changeOnePercent,
  mib,
  requestsByKind,
  runMeasured,
  secs,
  startSandboxChild,
  statsDiff,
  type MeasuredRun,
  type RequestCounts,
  type SandboxChild,
} from './support.js';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: 'full' },
    'latency-ms': { type: 'string', default: '80' },
    'burst-limit': { type: 'string', default: '100' },
    'baseline-cap-min': { type: 'string' },
    'skip-baseline': { type: 'boolean', default: false },
    'skip-throughput': { type: 'boolean', default: false },
    /** Measure `cadence run-once` itself (with the company lock) instead of bench/job-child.ts. */
    'via-run-once': { type: 'boolean', default: false },
  },
});

interface ScaleSpec {
  organizations: number;
  /** Share of clients whose writes are left for the measured night. */
  steadyShare: number;
  /** Organizations of the write-throughput company (≈ 1.7 writes each on a first night). */
  writeOrgs: number;
  baselineCapMin: number;
}
const SCALES: Record<string, ScaleSpec> = {
  full: { organizations: 50_000, steadyShare: 0.01, writeOrgs: 1_500, baselineCapMin: 120 },
  small: { organizations: 500, steadyShare: 0.1, writeOrgs: 60, baselineCapMin: 10 },
  /** A tenth of `full`: enough pages (~210 of activities) for the sync's parallel chains to show. */
  medium: { organizations: 5_000, steadyShare: 0.01, writeOrgs: 150, baselineCapMin: 20 },
};
const scaleName = values.scale ?? 'full';
const spec = SCALES[scaleName];
if (!spec) {
  console.error(`bench: --scale must be one of ${Object.keys(SCALES).join(', ')}, got "${scaleName}"`);
  process.exit(2);
}
const latencyMs = Number(values['latency-ms']);
const burstLimit = Number(values['burst-limit']);
const baselineCapMs = Number(values['baseline-cap-min'] ?? spec.baselineCapMin) * 60_000;
const PAGE = 500;
/** The nightly job under measurement (see bench/job-child.ts for why not run-once by default). */
const JOB = values['via-run-once']
  ? { label: 'cadence run-once --force', script: 'src/cli.ts', args: ['run-once', '--force'] }
  : { label: 'the nightly job (runCompanyJob, as run-once composes it)', script: 'bench/job-child.ts', args: [] as string[] };
const SDK_DEFAULT_PAGE = 100;

const tmp = mkdtempSync(join(tmpdir(), 'cadence-bench-'));
const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const quiet = pino({ level: 'silent' });
const fmt = (n: number) => n.toLocaleString('en-US');
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function ensureOk(run: MeasuredRun, what: string): void {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code ?? run.signal}:\n${run.stderr.slice(-4000)}\n${run.stdout.slice(-2000)}`);
}

interface JobRecord {
  sync?: { requests?: number; pages?: Record<EntityKind, number>; tokensSpent?: number; startedAt?: string; finishedAt?: string };
  writes?: Record<string, number>;
  status?: string;
}

/** What the job recorded in its run history (the sync's pages and requests, the apply's outcomes). */
async function jobRecord(stateFile: string, companyId: string): Promise<JobRecord> {
  const store = await openStateStore(`sqlite://${stateFile}`, quiet);
  try {
    const runs = (await store.company(companyId).runs.list(4)) as unknown as Array<Record<string, unknown>>;
    const nightly = runs.find((r) => r.kind === 'nightly');
    const sync = runs.find((r) => r.kind === 'sync' && r.runId === nightly?.runId);
    return {
      ...(sync ? { sync: sync as JobRecord['sync'] } : {}),
      ...(nightly?.writes ? { writes: nightly.writes as Record<string, number> } : {}),
      ...(nightly ? { status: String(nightly.status) } : {}),
    };
  } finally {
    await store.close();
  }
}

async function measureSandboxSide<T extends MeasuredRun>(sb: SandboxChild, fn: () => Promise<T>): Promise<{ run: T; counts: RequestCounts; before: SandboxStats }> {
  const before = await sb.admin.stats();
  const run = await fn();
  const counts = statsDiff(await sb.admin.stats(), before);
  return { run, counts, before };
}

const results: Record<string, unknown> = {
  scale: scaleName,
  startedAt: new Date().toISOString(),
  setting: { latencyMs, burstLimit, burstWindowS: 2, node: process.version, cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) },
};
const out: string[] = [];
const print = (s = '') => {
  out.push(s);
  process.stdout.write(`${s}\n`);
};

async function main(): Promise<void> {
  const limitPerS = burstLimit / 2;
  // ------------------------------------------------------------------ 1. ours: full night, incremental night, rules+plan
  log(`starting the ${scaleName} sandbox (${fmt(spec!.organizations)} organizations) and seeding the steady state…`);
  const sbA = await startSandboxChild({ organizations: spec!.organizations, latencyMs, burstLimit, steadyShare: spec!.steadyShare });
  const counts = sbA.counts;
  log(`sandbox ready in ${secs(sbA.startMs)}; seeding ${JSON.stringify(sbA.seeding)}`);
  const companyId = new URL(sbA.url).host;
  const stateFile = join(tmp, 'ours.sqlite');
  let ours: Awaited<ReturnType<typeof measureSandboxSide<MeasuredRun>>>;
  let oursRec: JobRecord;
  let inc: Awaited<ReturnType<typeof measureSandboxSide<MeasuredRun>>>;
  let incRec: JobRecord;
  const changed: Record<EntityKind, number> = { organization: 0, person: 0, deal: 0, activity: 0 };
  let rulesPlan: { run: MeasuredRun; data: Record<string, number> };
  let oursWriteWindow = 0;
  let stateBytes = 0;
  try {
    log(`ours: ${JOB.label}, from an empty state store…`);
    ours = await measureSandboxSide(sbA, () => runMeasured(JOB.script, JOB.args, { env: cadenceEnv(sbA, stateFile, join(tmp, 'reports')), tmpDir: tmp, label: 'ours-full' }));
    ensureOk(ours.run, JOB.label);
    oursRec = await jobRecord(stateFile, companyId);
    stateBytes = storeBytes(stateFile);
    oursWriteWindow = writeWindow(await sbA.admin.writes());
    await sbA.admin.clearWrites();
    log(`ours: ${secs(ours.run.wallMs)}, ${fmt(ours.counts.requests)} requests, peak RSS ${mib(ours.run.maxRss)}`);

    // 1 % of every entity changes (a rename bumps update_time), through the admin API (no rate-limit cost).
    log('changing 1 % of the records…');
    Object.assign(changed, await changeOnePercent(sbA, stateFile));
    log('ours: the incremental night…');
    inc = await measureSandboxSide(sbA, () => runMeasured(JOB.script, JOB.args, { env: cadenceEnv(sbA, stateFile, join(tmp, 'reports')), tmpDir: tmp, label: 'ours-incremental' }));
    ensureOk(inc.run, `${JOB.label} (incremental)`);
    incRec = await jobRecord(stateFile, companyId);
    log(`incremental: ${secs(inc.run.wallMs)}, ${fmt(inc.counts.requests)} requests`);

    log('rules + plan on the mirror…');
    const rp = await runMeasured('bench/rules-plan-child.ts', [`sqlite://${stateFile}`, companyId], { tmpDir: tmp, label: 'rules-plan', env: { NODE_OPTIONS: '--expose-gc' } });
    ensureOk(rp, 'rules-plan-child');
    rulesPlan = { run: rp, data: JSON.parse(rp.stdout.trim().split('\n').pop()!) as Record<string, number> };
  } finally {
    await sbA.stop();
  }

  // ------------------------------------------------------------------ baseline on an identical sandbox
  let base: Awaited<ReturnType<typeof measureSandboxSide<MeasuredRun>>> | null = null;
  let baseDone: Record<string, unknown> | null = null;
  let baseExpectedRequests = 0;
  if (!values['skip-baseline']) {
    log('starting an identical sandbox for the baseline…');
    const sbB = await startSandboxChild({ organizations: spec!.organizations, latencyMs, burstLimit, steadyShare: spec!.steadyShare });
    try {
      const pagesOf = (n: number) => Math.max(1, Math.ceil(n / SDK_DEFAULT_PAGE));
      baseExpectedRequests =
        2 + 4 + pagesOf(sbB.counts.organizations) + pagesOf(sbB.counts.persons) + pagesOf(sbB.counts.deals) + pagesOf(sbB.counts.activities) + (sbB.seeding?.nightPlan.writes ?? 0);
      let lastProgress = '';
      log(`baseline: the SDK loop (cap ${secs(baselineCapMs)})…`);
      base = await measureSandboxSide(sbB, () =>
        runMeasured('bench/baseline.ts', [sbB.url, sbB.token], {
          tmpDir: tmp,
          label: 'baseline',
          capMs: baselineCapMs,
          onLine: (line) => {
            if (line.startsWith('{"progress"')) lastProgress = line;
            if (line.startsWith('{"done"')) baseDone = (JSON.parse(line) as { done: Record<string, unknown> }).done;
          },
        }),
      );
      if (!base.run.capped) ensureOk(base.run, 'baseline');
      else log(`baseline capped; last progress ${lastProgress}`);
      log(`baseline: ${secs(base.run.wallMs)}, ${fmt(base.counts.requests)} requests, peak RSS ${mib(base.run.maxRss)}`);
    } finally {
      await sbB.stop();
    }
  }

  // ------------------------------------------------------------------ 5. write throughput (bench/write-throughput.ts)
  const throughput: { header: string[]; rows: string[] } = { header: [], rows: [] };
  if (!values['skip-throughput']) {
    for (const lat of [latencyMs, 0]) {
      log(`write throughput: ${spec!.writeOrgs} organizations, first night, latency ${lat} ms…`);
      const args = ['--orgs', String(spec!.writeOrgs), '--latency-ms', String(lat), '--burst-limit', String(burstLimit)];
      const r = await runMeasured('bench/write-throughput.ts', args, { tmpDir: tmp, label: `writes-${lat}` });
      ensureOk(r, 'bench/write-throughput.ts');
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('|'));
      throughput.header = lines.slice(0, 2);
      throughput.rows.push(lines[lines.length - 1]!);
    }
  }

  // ------------------------------------------------------------------ report
  const live: Record<EntityKind, number> = { organization: counts.organizations, person: counts.persons, deal: counts.deals, activity: counts.activities };
  const minPages = SYNCED_ENTITIES.reduce((s, e) => s + Math.max(1, Math.ceil(live[e] / PAGE)), 0);
  const oursKinds = requestsByKind(ours.counts.byRoute);
  const neededWrites = oursKinds.writes;
  const syncPages = oursRec.sync?.pages ? Object.values(oursRec.sync.pages).reduce((a, b) => a + b, 0) : null;
  const baseKinds = base ? requestsByKind(base.counts.byRoute) : null;
  const capped = base?.run.capped === true;
  const baseWallEst = base ? (capped ? base.run.wallMs * (baseExpectedRequests / Math.max(1, base.counts.requests)) : base.run.wallMs) : null;
  const star = capped ? ' *' : '';

  print(`## Benchmark — scale \`${scaleName}\` (${new Date().toISOString().slice(0, 10)})`);
  print();
  print(
    `Company: ${fmt(counts.organizations)} organizations, ${fmt(counts.persons)} persons, ${fmt(counts.deals)} deals (+${fmt(counts.deleted.deals)} deleted), ${fmt(counts.activities)} activities. ` +
      `Sandbox on loopback in its own process: ${latencyMs} ms per request, burst limit ${burstLimit} requests / 2 s (Premium, API token). ` +
      `Machine: ${cpus().length} cores shared with other work, Node ${process.version}. ` +
      `Tonight's work: Pipedrive is in the state earlier nights leave, except ${(spec!.steadyShare * 100).toFixed(0)} % of the clients (${fmt(sbA.seeding?.reservedOrgs ?? 0)}), whose ${fmt(sbA.seeding?.nightPlan.writes ?? 0)} writes are due tonight.`,
  );
  print();
  print('### 1. Full nightly job: ours vs the SDK loop');
  print();
  print('Empty state store (first night, or a rebuilt one): full pull, rules, plan, write-back; ours also writes the HTML/CSV/JSON reports.');
  print();
  const bd = baseDone as { planned?: number; written?: number; retries?: number } | null;
  print(
    table(
      ['', values['via-run-once'] ? 'ours (`cadence run-once`)' : 'ours (the nightly job)', 'baseline (SDK loop)', 'ours / baseline'],
      [
        ['requests', fmt(ours.counts.requests), base ? `${fmt(capped ? baseExpectedRequests : base.counts.requests)}${star}` : 'skipped', base ? ratio(ours.counts.requests, capped ? baseExpectedRequests : base.counts.requests) : ''],
        ['429s received', fmt(ours.counts.rateLimited), base ? `${fmt(base.counts.rateLimited)}${capped ? ' (so far)' : ''}` : '', base ? (base.counts.rateLimited === 0 ? (ours.counts.rateLimited === 0 ? '—' : '∞') : ratio(ours.counts.rateLimited, base.counts.rateLimited)) : ''],
        ['wall time', secs(ours.run.wallMs), base ? `${secs(baseWallEst)}${star}` : '', base ? ratio(ours.run.wallMs, baseWallEst) : ''],
        ['peak RSS (the job process)', mib(ours.run.maxRss), base ? `${mib(base.run.maxRss)}${capped ? ' (so far)' : ''}` : '', base ? ratio(ours.run.maxRss, base.run.maxRss) : ''],
        ['CPU time (the job process)', secs(ours.run.cpuMs), base ? `${secs(base.run.cpuMs)}${capped ? ' (so far)' : ''}` : '', base ? ratio(ours.run.cpuMs, base.run.cpuMs) : ''],
        ['longest event-loop stall', secs(ours.run.maxLoopStallMs), base ? secs(base.run.maxLoopStallMs) : '', base ? ratio(ours.run.maxLoopStallMs, base.run.maxLoopStallMs) : ''],
        ['list pages read (the pull)', syncPages !== null ? fmt(syncPages) : 'n/a', baseKinds ? fmt(baseKinds.listPages) : '', baseKinds ? ratio(syncPages, baseKinds.listPages) : ''],
        ['writes sent (POST/PATCH/DELETE)', fmt(oursKinds.writes), baseKinds ? fmt(baseKinds.writes) : '', baseKinds ? ratio(oursKinds.writes, baseKinds.writes) : ''],
      ],
    ),
  );
  if (capped) {
    print();
    print(
      `\\* The baseline was stopped at its wall-time cap of ${secs(baselineCapMs)} after ${fmt(base!.counts.requests)} of its ${fmt(baseExpectedRequests)} requests; ` +
        `its wall time is extrapolated linearly in requests (${secs(base!.run.wallMs)} × ${fmt(baseExpectedRequests)} / ${fmt(base!.counts.requests)}), its request count is the one it would make (reference + ⌈records/100⌉ per entity + one per write). Memory and CPU are as measured up to the cap (lower bounds).`,
    );
  }
  if (bd) print(`\nBaseline: planned ${fmt(bd.planned ?? 0)} writes, sent ${fmt(bd.written ?? 0)}, ${fmt(bd.retries ?? 0)} naive retries. Ours: ${JSON.stringify(oursRec.writes ?? {})}.`);

  print();
  print('### 2. Our requests vs the minimum possible');
  print();
  const syncReq = oursRec.sync?.requests ?? null;
  print(
    table(
      ['', 'requests'],
      [
        [`minimum: ⌈records / ${PAGE}⌉ per entity + one per write`, `${fmt(minPages + neededWrites)} (${fmt(minPages)} pages + ${fmt(neededWrites)} writes)`],
        ['ours, total', fmt(ours.counts.requests)],
        ['— list pages of the pull', `${syncPages !== null ? fmt(syncPages) : 'n/a'} (incl. deleted deals: ${fmt(counts.deleted.deals)} records)`],
        ['— reference data (users, activity types, 4 field lists)', fmt(syncReq !== null && syncPages !== null ? syncReq - syncPages : oursKinds.otherReads)],
        ['— write-back checks (open activities per client, before and after its creates)', fmt(ours.counts.requests - (syncReq ?? 0) - oursKinds.writes)],
        ['— writes', fmt(oursKinds.writes)],
        ['ours / minimum', ratio(ours.counts.requests, minPages + neededWrites)],
      ],
    ),
  );
  const floorS = (ours.counts.requests / limitPerS) * 1000;
  print();
  const syncMs = oursRec.sync?.startedAt && oursRec.sync.finishedAt ? Date.parse(oursRec.sync.finishedAt) - Date.parse(oursRec.sync.startedAt) : null;
  const pullFloorMs = syncReq !== null ? (syncReq / limitPerS) * 1000 : null;
  print(
    `Where ours spends its wall time: sync ${secs(syncMs)} (${syncReq !== null ? fmt(syncReq) : 'n/a'} requests; the rate limit alone would allow ${secs(pullFloorMs)}), ` +
      `write-back ${secs(oursWriteWindow)} from first to last write (${fmt(oursKinds.writes)} writes + checks), ` +
      `the rest (process start, mirror load, rules, plan, reports) ${secs(syncMs !== null ? ours.run.wallMs - syncMs - oursWriteWindow : null)}. ` +
      `Rate-limit floor for all ${fmt(ours.counts.requests)} requests at ${limitPerS} req/s: ${secs(floorS)}.`,
  );

  print();
  print('### 3. Incremental night after 1 % of the records changed');
  print();
  const incKinds = requestsByKind(inc.counts.byRoute);
  const incPages = incRec.sync?.pages ? Object.values(incRec.sync.pages).reduce((a, b) => a + b, 0) : null;
  print(
    table(
      ['', 'full night', 'incremental night', 'incremental / full'],
      [
        ['records changed', '', SYNCED_ENTITIES.map((e) => `${fmt(changed[e])} ${e === 'activity' ? 'activities' : `${e}s`}`).join(', '), ''],
        ['list pages (the pull)', syncPages !== null ? fmt(syncPages) : 'n/a', incPages !== null ? fmt(incPages) : 'n/a', ratio(incPages, syncPages)],
        ['requests (all)', fmt(ours.counts.requests), fmt(inc.counts.requests), ratio(inc.counts.requests, ours.counts.requests)],
        ['writes', fmt(oursKinds.writes), fmt(incKinds.writes), ''],
        ['wall time', secs(ours.run.wallMs), secs(inc.run.wallMs), ratio(inc.run.wallMs, ours.run.wallMs)],
        ['peak RSS', mib(ours.run.maxRss), mib(inc.run.maxRss), ratio(inc.run.maxRss, ours.run.maxRss)],
        ['longest event-loop stall', secs(ours.run.maxLoopStallMs), secs(inc.run.maxLoopStallMs), ''],
      ],
    ),
  );
  print();
  print(`Incremental pull pages per entity: ${JSON.stringify(incRec.sync?.pages ?? {})} (⌈changed/500⌉ = ${JSON.stringify(Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, Math.max(1, Math.ceil(changed[e] / PAGE))])))}; ${incPages ?? 'n/a'} in all).`);

  print();
  print('### 4. Rules + plan on the mirror');
  print();
  const rp = rulesPlan.data;
  print(
    table(
      ['step', 'time', 'heap held'],
      [
        [`load the mirror from SQLite (${fmt(rp.records ? Object.values(rp.records as unknown as Record<string, number>).reduce((a, b) => a + b, 0) : 0)} records)`, secs(rp.loadMs ?? 0), mib(rp.heapMirror ?? 0)],
        [`rules (assessCompany, ${fmt(rp.assessments ?? 0)} clients)`, secs(rp.rulesMs ?? 0), ''],
        [`plan (buildPlan, ${fmt(rp.planned ?? 0)} writes)`, secs(rp.planMs ?? 0), `${mib(rp.heapRulesPlan ?? 0)} (rules + plan results)`],
        ['process peak RSS', '', mib(rulesPlan.run.maxRss)],
        ['the state store on disk (SQLite, after the full night)', '', mib(stateBytes)],
      ],
    ),
  );

  if (throughput.rows.length > 0) {
    print();
    print(`### 5. Write throughput of the write-back vs the advertised limit (${burstLimit} requests / 2 s = ${limitPerS} req/s)`);
    print();
    print(`A first night on ${fmt(spec!.writeOrgs)} organizations (creates and flag updates with their checks), timed over the whole apply by \`bench/write-throughput.ts\` (sandbox in-process).`);
    print();
    for (const line of [...throughput.header, ...throughput.rows]) print(line);
  }

  Object.assign(results, {
    counts,
    seeding: sbA.seeding,
    ours: { run: strip(ours.run), counts: ours.counts, record: oursRec, writeWindowMs: oursWriteWindow, stateBytes, minimum: { pages: minPages, writes: neededWrites } },
    baseline: base ? { run: strip(base.run), counts: base.counts, done: baseDone, capped, expectedRequests: baseExpectedRequests, wallEstimateMs: baseWallEst } : null,
    incremental: { changed, run: strip(inc.run), counts: inc.counts, record: incRec },
    rulesPlan: { ...rulesPlan.data, maxRss: rulesPlan.run.maxRss },
    throughput,
    finishedAt: new Date().toISOString(),
    markdown: out.join('\n'),
  });
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/bench-${scaleName}.json`;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${file}`);
}

/** The SQLite state store on disk (database + write-ahead log). */
function storeBytes(file: string): number {
  return [file, `${file}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

/** Time from the first to the last write the sandbox logged (its clock is the wall clock). */
function writeWindow(writes: ReadonlyArray<{ at: string }>): number {
  if (writes.length === 0) return 0;
  const times = writes.map((w) => Date.parse(w.at));
  return Math.max(...times) - Math.min(...times);
}

function strip(r: MeasuredRun): Omit<MeasuredRun, 'stdout' | 'stderr'> & { stdoutTail: string } {
  const { stdout, stderr: _stderr, ...rest } = r;
  return { ...rest, stdoutTail: stdout.slice(-3000) };
}

main()
  .catch((err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(tmp, { recursive: true, force: true }));
