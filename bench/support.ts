/**
 * Helpers of the benchmark orchestrator (bench/run.ts): the sandbox child, measured child processes (wall
 * time, exact peak RSS and CPU time reported by the child itself on exit, see rss-hook.ts), and the
 * sandbox-side request counters every comparison is made from.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { sandboxAdminClient, type SandboxAdminClient } from '../sandbox/admin-client.js';
import type { SandboxStats } from '../sandbox/server.js';
import type { StateCounts } from '../sandbox/state.js';
import { SYNCED_ENTITIES, type EntityKind } from '../src/domain/entities.js';
import { openStateStore } from '../src/store/open-state-store.js';

export interface SeedingSummary {
  share: number;
  /** Organizations whose writes are left for the measured night. */
  reservedOrgs: number;
  /** First-night writes put straight into the sandbox state (the other clients'). */
  seeded: number;
  /** The plan left for the measured night (writes of the reserved organizations). */
  nightPlan: { writes: number; creates: number; flagUpdates: number; deletes: number };
  ms: number;
}

export interface SandboxReady {
  url: string;
  token: string;
  companyDomain: string;
  counts: StateCounts;
  seeding: SeedingSummary | null;
}

export interface SandboxChild extends SandboxReady {
  admin: SandboxAdminClient;
  /** Wall time from spawn to ready (generation, setup, seeding). */
  startMs: number;
  stop(): Promise<void>;
}

export interface SandboxChildOptions {
  organizations: number;
  latencyMs: number;
  burstLimit: number;
  steadyShare?: number;
  seed?: number;
}

const NODE_TSX = [process.execPath, '--import', 'tsx'] as const;

/** Starts bench/sandbox-child.ts and waits for its ready line. */
export async function startSandboxChild(o: SandboxChildOptions): Promise<SandboxChild> {
  const t0 = performance.now();
  const args = [
    '--max-old-space-size=12288',
    '--expose-gc',
    ...NODE_TSX.slice(1),
    'bench/sandbox-child.ts',
    '--organizations', String(o.organizations),
    '--latency-ms', String(o.latencyMs),
    '--burst-limit', String(o.burstLimit),
    '--seed', String(o.seed ?? 1),
    ...(o.steadyShare !== undefined ? ['--steady-share', String(o.steadyShare)] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the bench sandbox exited with code ${code} before it was ready`)));
  });
  const ready = JSON.parse(line) as SandboxReady;
  return {
    ...ready,
    admin: sandboxAdminClient(ready.url),
    startMs: performance.now() - t0,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  /** Peak resident set size of the child (bytes), from its own process.resourceUsage() on exit. */
  maxRss: number | null;
  /** User + system CPU time of the child (ms). */
  cpuMs: number | null;
  /** Longest event-loop stall of the child (ms): no timer (e.g. a lock-lease renewal) fires during it. */
  maxLoopStallMs: number | null;
  stdout: string;
  stderr: string;
  /** true when the run was stopped by `capMs`. */
  capped: boolean;
}

export interface MeasuredOptions {
  env?: Record<string, string>;
  /** SIGTERM the child after this long (the baseline's wall-time cap). */
  capMs?: number;
  /** Called for every stdout line (progress). */
  onLine?: (line: string) => void;
  tmpDir: string;
  label: string;
  /** V8's heap limit for the child (`--max-old-space-size`, MiB; default 8192). */
  heapMiB?: number;
}

/** Runs `node --import tsx --import bench/rss-hook.ts <script> <args>` and measures it. */
export async function runMeasured(script: string, args: readonly string[], o: MeasuredOptions): Promise<MeasuredRun> {
  const rssFile = join(o.tmpDir, `${o.label}.rusage.json`);
  rmSync(rssFile, { force: true });
  const t0 = performance.now();
  // BENCH_CPU_PROF=<dir>: each measured child writes a V8 CPU profile there (Node refuses --cpu-prof in NODE_OPTIONS).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${o.label}.cpuprofile`] : [];
  const child = spawn(process.execPath, [`--max-old-space-size=${o.heapMiB ?? 8192}`, ...prof, ...NODE_TSX.slice(1), '--import', './bench/rss-hook.ts', script, ...args], {
    env: { ...process.env, ...o.env, BENCH_RUSAGE_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let capped = false;
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    o.onLine?.(line);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 2_000_000) stderr = stderr.slice(-1_000_000);
  });
  const timer = o.capMs !== undefined ? setTimeout(() => ((capped = true), child.kill('SIGTERM')), o.capMs) : undefined;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  if (timer) clearTimeout(timer);
  const wallMs = performance.now() - t0;
  let maxRss: number | null = null;
  let cpuMs: number | null = null;
  let maxLoopStallMs: number | null = null;
  if (existsSync(rssFile)) {
    const r = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKiB: number; userUs: number; systemUs: number; maxLoopStallMs: number };
    maxRss = r.maxRssKiB * 1024;
    cpuMs = (r.userUs + r.systemUs) / 1000;
    maxLoopStallMs = r.maxLoopStallMs;
  }
  return { code, signal, wallMs, maxRss, cpuMs, maxLoopStallMs, stdout, stderr, capped };
}

/** The difference of two sandbox counters snapshots: what one measured run cost. */
export interface RequestCounts {
  requests: number;
  rateLimited: number;
  byRoute: Record<string, number>;
  tokensSpent: number;
}

export function statsDiff(after: SandboxStats, before: SandboxStats): RequestCounts {
  const byRoute: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.byRoute)) {
    const d = v - (before.byRoute[k] ?? 0);
    if (d !== 0) byRoute[k] = d;
  }
  const rl = (s: SandboxStats) => s.rateLimited.burst + s.rateLimited.daily + s.rateLimited.forced;
  return { requests: after.requests - before.requests, rateLimited: rl(after) - rl(before), byRoute, tokensSpent: after.tokensSpent - before.tokensSpent };
}

/** Requests by kind, from `METHOD /template STATUS` keys. */
export function requestsByKind(byRoute: Record<string, number>): { listPages: number; otherReads: number; writes: number; failed: number } {
  let listPages = 0;
  let otherReads = 0;
  let writes = 0;
  let failed = 0;
  for (const [k, n] of Object.entries(byRoute)) {
    const [method, path, status] = k.split(' ') as [string, string, string];
    if (!status.startsWith('2')) failed += n;
    if (method !== 'GET') writes += n;
    else if (/^\/api\/v2\/(organizations|persons|deals|activities)$/.test(path)) listPages += n;
    else otherReads += n;
  }
  return { listPages, otherReads, writes, failed };
}

export const mib = (bytes: number | null): string => (bytes === null ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
export const secs = (ms: number | null): string => (ms === null ? 'n/a' : ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`);

/** The environment of the nightly job against a sandbox child, with a SQLite state file. */
export function cadenceEnv(sb: SandboxReady, stateFile: string, reportDir: string): Record<string, string> {
  return {
    PIPEDRIVE_API_TOKEN: sb.token,
    PIPEDRIVE_BASE_URL: sb.url,
    CADENCE_STATE_URL: `sqlite://${stateFile}`,
    CADENCE_REPORT_DIR: reportDir,
    CADENCE_POLICY_FILE: 'config/policy.yaml',
    LOG_LEVEL: 'warn',
    CI: 'true',
  };
}

/**
 * Changes 1 % of every entity in the sandbox (a rename bumps update_time), through the admin API (no
 * rate-limit cost); which records comes from the job's mirror. Returns how many changed per entity.
 */
export async function changeOnePercent(sb: SandboxChild, stateFile: string): Promise<Record<EntityKind, number>> {
  const changed: Record<EntityKind, number> = { organization: 0, person: 0, deal: 0, activity: 0 };
  const field: Record<EntityKind, string> = { organization: 'name', person: 'name', deal: 'title', activity: 'subject' };
  const store = await openStateStore(`sqlite://${stateFile}`, pino({ level: 'silent' }));
  try {
    const state = store.company(new URL(sb.url).host);
    for (const e of SYNCED_ENTITIES) {
      const ids = [...(await state.mirror.loadColumns(e, ['updateTime'])).keys()].sort((a, b) => a - b).filter((_, i) => i % 100 === 50);
      for (let i = 0; i < ids.length; i += 32) {
        await Promise.all(ids.slice(i, i + 32).map((id) => sb.admin.upsert(e, { id, [field[e]]: `bench change ${id}` })));
      }
      changed[e] = ids.length;
    }
  } finally {
    await store.close();
  }
  return changed;
}
