/**
 * The real CLI (`cadence run-once`) in a child process against the sandbox: SIGTERM while it is applying.
 * It must exit 0, release the company lock, leave no half-written state, and the next run must complete
 * the plan with no duplicate activity.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { contractRecorder } from '../contract/recorder.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { extractCadenceKey } from '../../src/domain/provenance.js';
import { parsePolicy } from '../../src/config/load-config.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import { acquireLock } from '../../src/store/lock.js';
import { companyLockName } from '../../src/ops/run-all-companies.js';
import { makeClient } from './support/pipeline.js';

const logger = pino({ level: 'silent' });
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');

// Every request the worker sends and every answer, checked against Pipedrive's OpenAPI files.
const contract = contractRecorder();
let sb: Sandbox;
let dir: string;

beforeEach(async () => {
  // Latency makes the apply last a few seconds, so the signal lands in the middle of it.
  sb = await startSandbox({
    dataset: generateDataset({ seed: 5, now: new Date(), scale: 'demo' }),
    rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 },
    knobs: { latencyMs: 25 },
    onExchange: contract.onExchange,
  });
  await runSetup({ client: makeClient(sb.url, sb.token, logger), policy, logger });
  sb.clearWrites();
  dir = mkdtempSync(join(tmpdir(), 'cadence-cli-'));
});
afterEach(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], onStdout?: (line: string, child: ReturnType<typeof spawn>) => void, token = sb.token) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: {
      PATH: process.env.PATH,
      PIPEDRIVE_API_TOKEN: token,
      PIPEDRIVE_BASE_URL: sb.url,
      PIPEDRIVE_COMPANY_DOMAIN: 'demo-firm',
      CADENCE_STATE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
      CADENCE_REPORT_DIR: join(dir, 'reports'),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    onStdout?.(c.toString(), child);
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

const appliedPosts = () => sb.writes().filter((w) => w.method === 'POST' && w.path === '/api/v2/activities' && w.applied);

function liveKeys(): Map<string, number> {
  const m = new Map<string, number>();
  for (const a of sb.state.list('activity')) {
    const key = extractCadenceKey(a.note as string | null);
    if (key) m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

describe('cadence run-once and SIGTERM', () => {
  it('stops mid-apply with exit 0 and the lock released; the next run completes the plan without duplicates', async () => {
    let signalled = false;
    const first = await cli(['run-once'], (_chunk, child) => {
      // The plan summary is printed just before the first write; signal once a few writes have landed.
      if (signalled) return;
      const timer = setInterval(() => {
        if (appliedPosts().length >= 3 && !signalled) {
          signalled = true;
          child.kill('SIGTERM');
        }
        if (signalled || child.exitCode !== null) clearInterval(timer);
      }, 20);
    });
    expect(signalled).toBe(true);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('SIGTERM');
    const postsAfterFirst = appliedPosts().length;
    expect(postsAfterFirst).toBeGreaterThanOrEqual(3);

    // The lock is free: another process can take the company at once.
    const store = await openStateStore(`sqlite://${join(dir, 'state.sqlite')}`, logger);
    try {
      const lease = await acquireLock(store, companyLockName('demo-firm'), { ttlMs: 5_000, owner: 'test' });
      expect(lease).not.toBeNull();
      await lease!.release();
    } finally {
      await store.close();
    }

    // The next run finishes what the first one started.
    const second = await cli(['run-once']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/demo-firm: succeeded/);
    const keys = liveKeys();
    expect(keys.size).toBeGreaterThan(postsAfterFirst);
    expect([...keys].filter(([, n]) => n !== 1)).toEqual([]);
    // No key was ever POSTed twice.
    const posted = appliedPosts().map((w) => extractCadenceKey((w.body as { note?: string }).note));
    expect(new Set(posted).size).toBe(posted.length);

    // And a third run has nothing left to write.
    sb.clearWrites();
    const third = await cli(['run-once']);
    expect(third.code, third.stderr).toBe(0);
    expect(sb.writes().filter((w) => w.method !== 'GET')).toEqual([]);
  });

  it('a revoked token fails fast with exit 3 (credentials), a clear message and no token in the output', async () => {
    const revoked = sb.token;
    sb.setToken('a-new-token-after-rotation');
    const res = await cli(['run-once'], undefined, revoked);
    expect(res.code).toBe(3);
    const out = res.stdout + res.stderr;
    expect(out).toMatch(/API token was rejected: check PIPEDRIVE_API_TOKEN/);
    expect(out).not.toContain(revoked);
    expect(sb.writes()).toEqual([]);
  });
});

afterAll(() => contract.expectClean());
