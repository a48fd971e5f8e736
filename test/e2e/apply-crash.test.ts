/**
 * Crash and race tests of the write-back (docs/idempotency.md). The whole pipeline (sync → rules → plan →
 * apply) runs in a child process with its own SQLite state store and is SIGKILLed at seeded random points:
 * right after a write landed in Pipedrive and before the ledger heard of it, at a random moment of the
 * apply, or at a random moment from start (startup, sync, planning). After the crashes a run to completion
 * must leave every planned write present exactly once, and the sandbox's write log must show no second
 * POST for any key. Then the same with the state store deleted before every restart, and two applies at
 * once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { createPrng } from '../../sandbox/prng.js';
import { contractRecorder } from '../contract/recorder.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { parsePolicy } from '../../src/config/load-config.js';
import { extractCadenceKey } from '../../src/domain/provenance.js';
import type { Plan } from '../../src/plan/types.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import { makeClient, runPipeline } from './support/pipeline.js';
import { postsByKey } from './support/write-log.js';

const CHILD = 'test/e2e/support/apply-child.ts';
const T0 = new Date('2026-03-12T15:00:00Z');
const logger = pino({ level: 'silent' });
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');

// Every request the worker sends and every answer, checked against Pipedrive's OpenAPI files.
const contract = contractRecorder();
let sb: Sandbox;
let dir: string;
let reference: Plan;

beforeEach(async () => {
  // A little latency per request so that a timed kill lands inside the apply rather than after it.
  sb = await startSandbox({
    dataset: generateDataset({ seed: 3, now: T0, scale: 'demo' }),
    now: () => T0,
    rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 },
    knobs: { latencyMs: 5 },
    onExchange: contract.onExchange,
  });
  dir = mkdtempSync(join(tmpdir(), 'cadence-crash-'));
  await runSetup({ client: makeClient(sb.url, sb.token, logger), policy, logger });
  // The reference: what an uninterrupted run plans (computed read-only, with its own throwaway store).
  reference = (await runPipeline({ baseUrl: sb.url, token: sb.token, stateUrl: 'memory://', companyId: 'ref', now: T0, policy, logger, runId: 'ref', apply: false })).plan;
  sb.clearWrites();
});
afterEach(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  planned: number | null;
  done: { planned: number; counts: Record<string, number>; duplicatesRemoved: number; aborted: string | null } | null;
  stderr: string;
}

interface ChildOptions {
  stateFile: string;
  runId: string;
  dieAfterWrite?: number;
  killAfterStartMs?: number;
  killAfterPlannedMs?: number;
  /** Resolves when the child should start applying (it waits after planning). */
  go?: Promise<void>;
  onPlanned?: () => void;
}

function runChild(o: ChildOptions): Promise<ChildOutcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      E2E_BASE_URL: sb.url,
      E2E_TOKEN: sb.token,
      E2E_STATE_URL: `sqlite://${o.stateFile}`,
      E2E_COMPANY: 'demo-firm',
      E2E_NOW: T0.toISOString(),
      E2E_RUN_ID: o.runId,
      ...(o.dieAfterWrite !== undefined ? { E2E_DIE_AFTER_WRITE: String(o.dieAfterWrite) } : {}),
      ...(o.go ? { E2E_WAIT_FOR_GO: '1' } : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: ChildOutcome = { code: null, signal: null, planned: null, done: null, stderr: '' };
  const timers: NodeJS.Timeout[] = [];
  const kill = () => child.kill('SIGKILL');
  if (o.killAfterStartMs !== undefined) timers.push(setTimeout(kill, o.killAfterStartMs));
  let buf = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('planned ')) {
        out.planned = Number(line.slice(8));
        o.onPlanned?.();
        if (o.killAfterPlannedMs !== undefined) timers.push(setTimeout(kill, o.killAfterPlannedMs));
        if (o.go) void o.go.then(() => child.stdin.write('go\n'));
      } else if (line.startsWith('{')) out.done = JSON.parse(line) as ChildOutcome['done'];
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  child.stdin.on('error', () => undefined); // the child may be dead when we write "go"
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      timers.forEach(clearTimeout);
      out.code = code;
      out.signal = signal;
      resolve(out);
    });
  });
}

/** Live activities in the sandbox by provenance key. */
function liveByKey(): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const a of sb.state.list('activity')) {
    const key = extractCadenceKey(a.note as string | null);
    if (key) m.set(key, [...(m.get(key) ?? []), a.id as number]);
  }
  return m;
}

/** Every planned write present exactly once: one live activity per planned key, nothing else, every flag value. */
function expectPlanPresentExactlyOnce(plan: Plan): void {
  const live = liveByKey();
  const plannedKeys = plan.writes.filter((w) => w.kind === 'create_activity').map((w) => w.key).sort();
  expect(plannedKeys.length).toBeGreaterThan(10);
  expect([...live.keys()].sort()).toEqual(plannedKeys);
  const duplicates = [...live].filter(([, ids]) => ids.length !== 1);
  expect(duplicates).toEqual([]);
  for (const w of plan.writes) {
    if (w.kind !== 'update_org_flags') continue;
    const cf = sb.state.get('organization', w.orgId)!.custom_fields as Record<string, unknown>;
    for (const [k, v] of Object.entries(w.customFields)) expect(cf[k] ?? null, `org ${w.orgId} field ${k}`).toEqual(v);
  }
}

type Mode = 'after-write' | 'during-apply' | 'from-start';

async function crashLoop(seed: number, { deleteStoreBeforeRestart }: { deleteStoreBeforeRestart: boolean }) {
  const prng = createPrng(seed);
  const stateFile = join(dir, 'state.sqlite');
  const log: { mode: Mode; at: number; killed: boolean; planned: number | null }[] = [];
  // Until 20 runs were really killed (a timed kill can miss a run that had little left to do).
  for (let i = 0; log.filter((l) => l.killed).length < 20 && i < 60; i++) {
    if (deleteStoreBeforeRestart) rmSync(dir, { recursive: true, force: true });
    const mode = prng.pick<Mode>(['after-write', 'after-write', 'during-apply', 'from-start']);
    const at = mode === 'after-write' ? prng.int(1, 4) : mode === 'during-apply' ? prng.int(0, 120) : prng.int(100, 600);
    const res = await runChild({
      stateFile,
      runId: `crash-${seed}-${i}`,
      ...(mode === 'after-write' ? { dieAfterWrite: at } : mode === 'during-apply' ? { killAfterPlannedMs: at } : { killAfterStartMs: at }),
    });
    const killed = res.signal === 'SIGKILL';
    if (!killed) expect(res.code, res.stderr).toBe(0); // a run the kill missed must have finished cleanly
    log.push({ mode, at, killed, planned: res.planned });
  }
  if (deleteStoreBeforeRestart) rmSync(dir, { recursive: true, force: true });
  const final = await runChild({ stateFile, runId: `final-${seed}` });
  expect(final.code, final.stderr).toBe(0);
  expect(final.done!.counts.failed).toBe(0);
  return { log, final };
}

describe('apply killed at random points', () => {
  it('20 seeded SIGKILLs, then a rerun: zero duplicates, every planned write present exactly once', { timeout: 600_000 }, async () => {
    const { log } = await crashLoop(20261125, { deleteStoreBeforeRestart: false });
    // The crashes really hit the write-back: 20 runs died, some right after a POST, and a run that still had
    // more writes to do than its kill point never escaped the kill.
    expect(log.filter((l) => l.killed).length).toBe(20);
    expect(log.filter((l) => l.mode === 'after-write' && (l.planned ?? 0) > l.at && !l.killed)).toEqual([]);
    expect(log.filter((l) => l.killed && l.mode === 'after-write' && (l.planned ?? 0) > 0).length).toBeGreaterThanOrEqual(3);
    expectPlanPresentExactlyOnce(reference);
    // Not even a second POST was ever sent for a key.
    expect([...postsByKey(sb)].filter(([, n]) => n !== 1)).toEqual([]);
    // And a further run has nothing left to do.
    sb.clearWrites();
    const again = await runChild({ stateFile: join(dir, 'state.sqlite'), runId: 'again' });
    expect(again.done!.planned).toBe(0);
    expect(sb.writes().filter((w) => w.method !== 'GET')).toEqual([]);
  });

  it('the same with the local state store deleted before every restart', { timeout: 600_000 }, async () => {
    const { log } = await crashLoop(7, { deleteStoreBeforeRestart: true });
    expect(log.filter((l) => l.killed).length).toBe(20);
    expectPlanPresentExactlyOnce(reference);
    // Every restart began with an empty ledger and mirror, yet no key was ever POSTed twice.
    expect([...postsByKey(sb)].filter(([, n]) => n !== 1)).toEqual([]);
  });
});

describe('two applies at once against the same company', () => {
  it('in one process, started together after planning: the race happens and ends with one activity per key', { timeout: 120_000 }, async () => {
    let ready = 0;
    let release!: () => void;
    const go = new Promise<void>((r) => (release = r));
    const barrier = async () => {
      ready += 1;
      if (ready === 2) release();
      await go;
    };
    // Each replica has its own state store: only Pipedrive itself can keep them from duplicating.
    const stores = await Promise.all(['a', 'b'].map(() => openStateStore('memory://', logger)));
    try {
      const [a, b] = await Promise.all(
        ['a', 'b'].map((r, i) =>
          runPipeline({ baseUrl: sb.url, token: sb.token, stateUrl: 'memory://', companyId: 'demo-firm', now: T0, policy, logger, runId: `replica-${r}`, apply: true, beforeApply: barrier }, stores[i]),
        ),
      );
      const removed = a!.apply!.duplicatesRemoved + b!.apply!.duplicatesRemoved;
      const posts = [...postsByKey(sb).values()].reduce((x, y) => x + y, 0);
      const planned = reference.writes.filter((w) => w.kind === 'create_activity').length;
      // Both replicas POSTed some keys (the race was real), and every extra copy was removed again.
      expect(posts).toBeGreaterThan(planned);
      expect(removed).toBe(posts - planned);
      expectPlanPresentExactlyOnce(reference);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('in two processes with separate SQLite stores: no duplicates', { timeout: 120_000 }, async () => {
    let planned = 0;
    let release!: () => void;
    const go = new Promise<void>((r) => (release = r));
    const onPlanned = () => {
      planned += 1;
      if (planned === 2) release();
    };
    const [a, b] = await Promise.all([
      runChild({ stateFile: join(dir, 'a.sqlite'), runId: 'proc-a', go, onPlanned }),
      runChild({ stateFile: join(dir, 'b.sqlite'), runId: 'proc-b', go, onPlanned }),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expectPlanPresentExactlyOnce(reference);
    const posts = [...postsByKey(sb).values()].reduce((x, y) => x + y, 0);
    const plannedCreates = reference.writes.filter((w) => w.kind === 'create_activity').length;
    expect(a.done!.duplicatesRemoved + b.done!.duplicatesRemoved).toBe(posts - plannedCreates);
  });
});

afterAll(() => contract.expectClean());
