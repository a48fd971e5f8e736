/**
 * Operations end to end: real worker processes (test/e2e/support/ops-worker.ts) against real Redis
 * (127.0.0.1:6379), PostgreSQL (127.0.0.1:5432, db `test`) and a SQLite file, with the stand-in job of
 * ops-job.ts.
 * Every wait is on an event from a worker (a stdout event, a log line, an exit), never a sleep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger } from '../unit/ops/capture-logger.js';
import { readRunRecord } from '../../src/ops/run-record.js';
import { lockBackendFor } from '../../src/store/lock-for-store.js';
import { openStateStore, type StateStore } from '../../src/store/open-state-store.js';
import { startWorker, type Worker, type WorkerEvent } from './support/ops-harness.js';

const sqliteDir = mkdtempSync(join(tmpdir(), 'cadence-ops-e2e-'));
const BACKENDS = {
  redis: 'redis://127.0.0.1:6379',
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
  // One host, several processes on one file (the lock uses the host clock and SQLite's busy timeout).
  sqlite: `sqlite://${join(sqliteDir, 'state.sqlite')}`,
} as const;
type Backend = keyof typeof BACKENDS;

const run = `${process.pid}-${Date.now().toString(36)}`;
let seq = 0;
const { logger } = captureLogger();
/** One store per backend for the whole file (see ops-lock.test.ts on @keyv/postgres's shared pool). */
const stores = {} as Record<Backend, StateStore>;
const workers: Worker[] = [];

const namespace = `ops-e2e-${run}`;

beforeAll(async () => {
  for (const backend of Object.keys(BACKENDS) as Backend[]) stores[backend] = await openStateStore(BACKENDS[backend], logger, { namespace });
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  for (const store of Object.values(stores)) {
    await store.clearNamespace();
    await store.close();
  }
  rmSync(sqliteDir, { recursive: true, force: true });
});

/** A deployment: its own company ids (so tests never share locks or records) in one namespace. */
function deployment(backend: Backend) {
  const n = ++seq;
  const id = (name: string) => `${name}-${n}`;
  const companies = ['alpha', 'bravo', 'charlie', 'delta'].map(id);
  const start = (env: Record<string, string> = {}) => {
    const w = startWorker({ OPS_STATE_URL: BACKENDS[backend], OPS_NAMESPACE: namespace, OPS_COMPANIES: companies.join(','), OPS_LOCK_TTL_MS: '1500', ...env });
    workers.push(w);
    return w;
  };
  return { id, companies, start, store: stores[backend] };
}

const companyEvents = (w: Worker) => w.events.filter((e): e is WorkerEvent & { companyId: string; status: string } => e.event === 'company');

describe.each(Object.keys(BACKENDS) as Backend[])('operations on %s', (backend) => {
  it('two workers started at once process each company exactly once per tick', async () => {
    const d = deployment(backend);
    const env = { OPS_MODE: 'schedule', OPS_SCHEDULE: '*/2 * * * * *', OPS_JOB_DELAY_MS: '100' };
    const [a, b] = [d.start(env), d.start(env)];
    // Wait until both workers have finished runs for two of the same ticks.
    const runsOf = (w: Worker) => w.events.filter((e) => e.event === 'run').map((e) => e.slot as string);
    const shared = () => runsOf(a).filter((slot) => runsOf(b).includes(slot));
    await a.waitFor(() => shared().length >= 2, 'two shared ticks');
    // Judge the ticks both finished before the shutdown (a run cut short by SIGTERM is 'aborted').
    const checked = shared();
    const [seenA, seenB] = [a.events.length, b.events.length];
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    expect((await b.exited).code).toBe(0);

    const before = [...a.events.slice(0, seenA), ...b.events.slice(0, seenB)];
    const runEvents = before.filter((e) => e.event === 'run') as Array<WorkerEvent & { slot: string; results: Array<{ companyId: string; status: string }> }>;
    for (const slot of checked) {
      const results = runEvents.filter((e) => e.slot === slot).flatMap((e) => e.results);
      expect(results).toHaveLength(2 * d.companies.length); // both workers reported on every company
      for (const company of d.companies) {
        const statuses = results.filter((r) => r.companyId === company).map((r) => r.status).sort();
        // One worker ran it; the other found it done (or already attempted for this tick).
        expect({ slot, company, statuses }).toEqual({ slot, company, statuses: ['done-elsewhere', 'succeeded'] });
      }
    }
    // And the job itself started exactly as often as runs succeeded: never twice for a (tick, company).
    const jobStarts = before.filter((e) => e.event === 'job-start').length;
    const succeeded = runEvents.flatMap((e) => e.results).filter((r) => r.status === 'succeeded').length;
    expect(jobStarts).toBe(succeeded);
  });

  it('when the lock holder is killed, the other worker takes the company over after the lease', async () => {
    const d = deployment(backend);
    const [alpha, , , delta] = d.companies as [string, string, string, string];
    const slot = '2026-01-11T05:00:00.000Z';
    const holder = d.start({ OPS_SLOT: slot, OPS_JOB_HOLD: alpha, OPS_COMPANIES: alpha });
    await holder.waitFor((e) => e.event === 'job-start' && e.companyId === alpha);
    const other = d.start({ OPS_SLOT: slot, OPS_TAKEOVER_WAIT_MS: '30000', LOG_LEVEL: 'debug' });
    // The other worker finds alpha locked, says who holds it and until when, and goes on with the rest...
    const said = await other.waitForLog(new RegExp(`^company ${alpha} is locked by \\S+ \\(lease until \\S+, renewed while it works\\); waiting until \\S+ for it to finish or its lease to run out$`));
    expect(said).toMatchObject({ level: 40, holder: expect.stringMatching(/:\d+:/) });
    await other.waitFor((e) => e.event === 'company' && e.companyId === delta);
    expect(other.events.some((e) => e.event === 'job-start' && e.companyId === alpha)).toBe(false);
    // ...then the holder dies without releasing anything, and its lease runs out.
    holder.child.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    expect((await other.exited).code).toBe(0);
    expect(Object.fromEntries(companyEvents(other).map((e) => [e.companyId, e.status]))).toEqual(Object.fromEntries(d.companies.map((c) => [c, 'succeeded'])));
    expect(await readRunRecord(d.store.keyv, alpha)).toMatchObject({ status: 'succeeded', slot, owner: other.events[0]?.owner });
  });

  it('a company with a revoked token is reported while the others complete, and its failures are counted', async () => {
    const d = deployment(backend);
    const [alpha, bravo] = d.companies as [string, string];
    const first = d.start({ OPS_JOB_FAIL: bravo });
    // The only failure is rejected credentials: exit 3 (src/ops/run-once.ts).
    expect((await first.exited).code, `the worker's log:\n${first.stderr().slice(-4000)}`).toBe(3);
    const events = companyEvents(first);
    expect(events.map((e) => [e.companyId, e.status])).toEqual(d.companies.map((c) => [c, c === bravo ? 'failed' : 'succeeded']));
    const reason = 'Pipedrive rejected the API token (revoked or wrong): set a valid token (HTTP 401)';
    expect(events[1]).toMatchObject({ consecutiveFailures: 1, failure: { kind: 'auth', reason } });
    expect(first.logs.map((l) => l.msg)).toContain(`company ${bravo} failed (1 run in a row): ${reason}`);

    const second = d.start({ OPS_JOB_FAIL: bravo });
    expect((await second.exited).code).toBe(3);
    expect(companyEvents(second).find((e) => e.companyId === bravo)).toMatchObject({ status: 'failed', consecutiveFailures: 2 });
    expect(await readRunRecord(d.store.keyv, bravo)).toMatchObject({ status: 'failed', consecutiveFailures: 2, lastError: { kind: 'auth', reason } });
    expect(await readRunRecord(d.store.keyv, alpha)).toMatchObject({ status: 'succeeded', consecutiveFailures: 0 });
  });

  it('SIGTERM mid-job: the job checkpoints, the lock is released, exit 0', async () => {
    const d = deployment(backend);
    const [alpha, bravo] = d.companies as [string, string];
    const w = d.start({ OPS_MODE: 'schedule', OPS_SCHEDULE: '* * * * * *', OPS_JOB_HOLD: alpha, OPS_COMPANIES: `${alpha},${bravo}` });
    await w.waitFor((e) => e.event === 'job-start' && e.companyId === alpha);
    const locks = lockBackendFor(d.store);
    expect(await locks.holder(`company:${alpha}`)).toBe(w.events[0]?.owner);
    w.child.kill('SIGTERM');
    expect((await w.exited).code).toBe(0);
    expect(w.events.find((e) => e.event === 'exit')).toMatchObject({ code: 0 });
    const checkpoint = w.events.find((e) => e.event === 'job-checkpoint');
    expect(checkpoint).toMatchObject({ companyId: alpha });
    expect(await d.store.keyv.get(`test:checkpoint:${alpha}`)).toMatchObject({ page: checkpoint?.page });
    expect(await locks.holder(`company:${alpha}`)).toBeNull();
    // Nothing new was started after the signal, and the aborted run does not count as a failure.
    expect(w.events.some((e) => e.event === 'job-start' && e.companyId === bravo)).toBe(false);
    expect(await readRunRecord(d.store.keyv, alpha)).toMatchObject({ status: 'aborted', consecutiveFailures: 0 });
    expect(w.logs.map((l) => l.msg)).toContain('stopped cleanly');
  });
});

describe('second signal', () => {
  it('exits at once with 143 when the job does not stop', async () => {
    const d = deployment('redis');
    const [alpha] = d.companies as [string];
    const w = d.start({ OPS_JOB_STUBBORN: alpha, OPS_COMPANIES: alpha });
    await w.waitFor((e) => e.event === 'job-start' && e.companyId === alpha);
    w.child.kill('SIGTERM');
    await w.waitForLog(/^SIGTERM: finishing the current write/);
    w.child.kill('SIGTERM');
    expect((await w.exited).code).toBe(143);
    expect(w.logs.map((l) => l.msg)).toContain('second SIGTERM: exiting now');
  });
});
