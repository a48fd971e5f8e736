import { describe, expect, it } from 'vitest';
import { runAllCompanies, type CompanyResult, type OpsStore, type RunAllOptions } from '../../../src/ops/run-all-companies.js';
import { readRunRecord } from '../../../src/ops/run-record.js';
import { PipedriveAuthError } from '../../../src/pipedrive/errors.js';
import { memoryLockBackend } from '../../../src/store/lock-memory.js';
import { captureLogger } from './capture-logger.js';
import { manualClock, settle } from './manual-clock.js';
import { memoryRecords } from './memory-records.js';
import type { LockBackend } from '../../../src/store/lock-backend.js';

const TTL = 3_000;
const SLOT = new Date('2026-01-11T05:00:00Z');
const revoked = () => new PipedriveAuthError('Pipedrive rejected the API token (revoked or wrong): set a valid token', { method: 'GET', path: '/api/v2/users/me', status: 401 });

function world() {
  const clock = manualClock(Date.parse('2026-01-11T05:00:00Z'));
  const store: OpsStore = { locks: memoryLockBackend({ clock }), records: memoryRecords() };
  const log = captureLogger();
  const calls: string[] = [];
  return { clock, store, log, calls };
}

type World = ReturnType<typeof world>;

function opts(w: World, over: Partial<RunAllOptions<string>> = {}): RunAllOptions<string> {
  return {
    companies: ['acme', 'globex', 'initech'],
    runCompany: async (id) => {
      w.calls.push(id);
      return `${id}:ok`;
    },
    store: w.store,
    logger: w.log.logger,
    slot: SLOT,
    clock: w.clock,
    lockTtlMs: TTL,
    owner: 'replica-1',
    ...over,
  };
}

const statuses = (results: CompanyResult<unknown>[]) => Object.fromEntries(results.map((r) => [r.companyId, r.status]));

/** A job per company that waits until the test releases it (or its signal aborts). */
function gatedJobs(w: World) {
  const gates = new Map<string, { release: () => void; started: Promise<AbortSignal> }>();
  const open = (id: string) => {
    let release!: () => void;
    let onStart!: (s: AbortSignal) => void;
    const released = new Promise<void>((r) => (release = r));
    const started = new Promise<AbortSignal>((r) => (onStart = r));
    gates.set(id, { release, started });
    return { released, onStart };
  };
  const pending = new Map<string, ReturnType<typeof open>>();
  for (const id of ['acme', 'globex', 'initech']) pending.set(id, open(id));
  const job = async (id: string, signal: AbortSignal) => {
    w.calls.push(id);
    const g = pending.get(id)!;
    g.onStart(signal);
    await Promise.race([g.released, new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))]);
    return signal.aborted ? `${id}:checkpointed` : `${id}:ok`;
  };
  return { job, gate: (id: string) => gates.get(id)! };
}

describe('runAllCompanies', () => {
  it('runs every company under its lock and records the result per company', async () => {
    const w = world();
    const summary = await runAllCompanies(opts(w));
    expect(w.calls).toEqual(['acme', 'globex', 'initech']);
    expect(summary.results.map((r) => [r.companyId, r.status, r.outcome])).toEqual([
      ['acme', 'succeeded', 'acme:ok'],
      ['globex', 'succeeded', 'globex:ok'],
      ['initech', 'succeeded', 'initech:ok'],
    ]);
    expect(summary.counts.succeeded).toBe(3);
    expect(summary.slot).toBe('2026-01-11T05:00:00.000Z');
    const record = await readRunRecord(w.store.records, 'globex');
    expect(record).toMatchObject({ companyId: 'globex', slot: '2026-01-11T05:00:00.000Z', status: 'succeeded', owner: 'replica-1', consecutiveFailures: 0 });
    for (const id of ['acme', 'globex', 'initech']) expect(await w.store.locks.holder(`company:${id}`)).toBeNull();
  });

  it('reports a company whose token was revoked while the others complete, and counts its failures across runs', async () => {
    const w = world();
    const runCompany = async (id: string) => {
      w.calls.push(id);
      if (id === 'globex') throw revoked();
      return `${id}:ok`;
    };
    const first = await runAllCompanies(opts(w, { runCompany }));
    expect(statuses(first.results)).toEqual({ acme: 'succeeded', globex: 'failed', initech: 'succeeded' });
    expect(first.results[1]).toMatchObject({
      failure: { kind: 'auth', reason: 'Pipedrive rejected the API token (revoked or wrong): set a valid token (HTTP 401)' },
      consecutiveFailures: 1,
    });

    const second = await runAllCompanies(opts(w, { runCompany, slot: new Date('2026-01-12T05:00:00Z') }));
    expect(second.results[1]).toMatchObject({ status: 'failed', consecutiveFailures: 2 });
    expect(await readRunRecord(w.store.records, 'globex')).toMatchObject({
      status: 'failed',
      consecutiveFailures: 2,
      lastError: { kind: 'auth', at: expect.any(String) },
    });
    expect(w.log.problems()).toContain(
      'company globex failed (2 runs in a row): Pipedrive rejected the API token (revoked or wrong): set a valid token (HTTP 401)',
    );

    // The token is fixed: the next tick succeeds and the count resets.
    const third = await runAllCompanies(opts(w, { slot: new Date('2026-01-13T05:00:00Z') }));
    expect(third.results[1]).toMatchObject({ status: 'succeeded', consecutiveFailures: 0 });
    expect(w.log.lines.map((l) => l.msg)).toContain('company globex succeeded again after 2 failed runs');
    expect(await readRunRecord(w.store.records, 'globex')).toMatchObject({ consecutiveFailures: 0, lastError: { kind: 'auth' } });
  });

  it('does not run a company twice for the same tick, whether it succeeded or failed; a later tick retries', async () => {
    const w = world();
    await runAllCompanies(opts(w, { runCompany: async (id) => (id === 'acme' ? Promise.reject(new Error('outage')) : `${id}:ok`) }));
    const again = await runAllCompanies(opts(w, { owner: 'replica-2' }));
    expect(w.calls).toEqual([]);
    expect(statuses(again.results)).toEqual({ acme: 'done-elsewhere', globex: 'done-elsewhere', initech: 'done-elsewhere' });
    const nextTick = await runAllCompanies(opts(w, { slot: new Date('2026-01-12T05:00:00Z') }));
    expect(w.calls).toEqual(['acme', 'globex', 'initech']);
    expect(nextTick.counts.succeeded).toBe(3);
  });

  it('shares one tick between two replicas: each company runs exactly once', async () => {
    const w = world();
    const { job, gate } = gatedJobs(w);
    const r1 = runAllCompanies(opts(w, { runCompany: job, owner: 'replica-1' }));
    const r2 = runAllCompanies(opts(w, { runCompany: job, owner: 'replica-2' }));
    await gate('acme').started;
    await gate('globex').started;
    expect(w.calls.sort()).toEqual(['acme', 'globex']); // replica-2 found acme locked and moved on
    gate('acme').release();
    gate('globex').release();
    await gate('initech').started;
    gate('initech').release();
    // The replica that found acme (or globex) locked retries it after ttl/3 and sees it finished.
    await w.clock.advance(TTL);
    const [s1, s2] = await Promise.all([r1, r2]);
    expect(w.calls.sort()).toEqual(['acme', 'globex', 'initech']);
    const ran = [...s1.results, ...s2.results].filter((r) => r.status === 'succeeded').map((r) => r.companyId);
    expect(ran.sort()).toEqual(['acme', 'globex', 'initech']);
    const skipped = [...s1.results, ...s2.results].filter((r) => r.status !== 'succeeded');
    expect(skipped.every((r) => r.status === 'done-elsewhere')).toBe(true);
  });

  it('takes over a company whose holder died, once the lease runs out', async () => {
    const w = world();
    await w.store.locks.tryAcquire('company:globex', 'dead-replica', TTL); // took the lock, then crashed
    const running = runAllCompanies(opts(w));
    await settle();
    expect(w.calls).toEqual(['acme', 'initech']);
    await w.clock.advance(TTL);
    const summary = await running;
    expect(w.calls).toEqual(['acme', 'initech', 'globex']);
    expect(statuses(summary.results)).toEqual({ acme: 'succeeded', globex: 'succeeded', initech: 'succeeded' });
  });

  it('says who holds a company it waits for and until when, once per holder, and logs it', async () => {
    const w = world();
    await w.store.locks.tryAcquire('company:globex', 'dead-host:4242:abcd', TTL);
    const waits: Array<{ holder: string | null; leaseUntil: string | null; waitUntil: string; message: string }> = [];
    const running = runAllCompanies(opts(w, { onLockWait: (x) => waits.push(x) }));
    await settle();
    await w.clock.advance(TTL);
    await running;
    expect(waits).toEqual([
      {
        companyId: 'globex',
        holder: 'dead-host:4242:abcd',
        leaseUntil: '2026-01-11T05:00:03.000Z',
        waitUntil: '2026-01-11T05:00:06.000Z',
        message:
          'company globex is locked by dead-host:4242:abcd (lease until 2026-01-11T05:00:03.000Z, renewed while it works); waiting until 2026-01-11T05:00:06.000Z for it to finish or its lease to run out',
      },
    ]);
    expect(w.log.problems()).toContain(waits[0]!.message);
  });

  it('leaves a company to a live holder that keeps its lease past the takeover wait', async () => {
    const w = world();
    await w.store.locks.tryAcquire('company:globex', 'busy-replica', 60 * TTL);
    const running = runAllCompanies(opts(w, { takeoverWaitMs: 2 * TTL }));
    await w.clock.advance(3 * TTL);
    const summary = await running;
    expect(statuses(summary.results)).toEqual({ acme: 'succeeded', globex: 'locked-elsewhere', initech: 'succeeded' });
    expect(w.calls).toEqual(['acme', 'initech']);
    expect(w.log.problems()).toContain('company still locked by another worker when the takeover wait ended; it runs there');
  });

  it('does not repeat a company another worker finished while this one waited (run-once without a tick)', async () => {
    const w = world();
    await w.store.locks.tryAcquire('company:globex', 'other', TTL);
    const running = runAllCompanies(opts(w, { slot: null }));
    await settle();
    // The other worker finishes globex: writes its record, releases.
    await w.store.records.set('ops:run:globex', {
      companyId: 'globex',
      runId: 'other-run',
      slot: null,
      status: 'succeeded',
      owner: 'other',
      startedAt: '2026-01-11T05:00:00.000Z',
      finishedAt: '2026-01-11T05:00:01.000Z',
      consecutiveFailures: 0,
    });
    await w.store.locks.release('company:globex', 'other');
    await w.clock.advance(TTL);
    const summary = await running;
    expect(w.calls).toEqual(['acme', 'initech']);
    expect(statuses(summary.results)).toMatchObject({ globex: 'done-elsewhere' });
  });

  it('on shutdown: the job in flight checkpoints and stops, the lock is released, later companies are not started', async () => {
    const w = world();
    const { job, gate } = gatedJobs(w);
    const shutdown = new AbortController();
    const running = runAllCompanies(opts(w, { runCompany: job, signal: shutdown.signal }));
    const signal = await gate('acme').started;
    shutdown.abort(new Error('SIGTERM'));
    const summary = await running;
    expect(signal.aborted).toBe(true);
    expect(summary.aborted).toBe(true);
    expect(summary.results.map((r) => [r.companyId, r.status, r.outcome])).toEqual([
      ['acme', 'aborted', 'acme:checkpointed'],
      ['globex', 'not-started', undefined],
      ['initech', 'not-started', undefined],
    ]);
    expect(await w.store.locks.holder('company:acme')).toBeNull();
    // An aborted attempt does not count as a failure nor as done for the tick: another replica may take it.
    expect(await readRunRecord(w.store.records, 'acme')).toMatchObject({ status: 'aborted', consecutiveFailures: 0 });
    const other = await runAllCompanies(opts(w, { owner: 'replica-2' }));
    expect(other.counts.succeeded).toBe(3);
  });

  it('stops a job whose lease was lost, and leaves the record to the new holder', async () => {
    const w = world();
    const { job, gate } = gatedJobs(w);
    const running = runAllCompanies(opts(w, { runCompany: job, companies: ['acme'] }));
    const signal = await gate('acme').started;
    await w.store.locks.release('company:acme', 'replica-1'); // e.g. a long GC pause: the lease ran out...
    await w.store.locks.tryAcquire('company:acme', 'replica-2', TTL); // ...and replica-2 took over
    await w.clock.advance(TTL / 3);
    expect(signal.aborted).toBe(true);
    const summary = await running;
    expect(summary.results[0]).toMatchObject({ status: 'lock-lost', failure: { kind: 'lock-lost' } });
    expect(await readRunRecord(w.store.records, 'acme')).toBeUndefined();
    expect(await w.store.locks.holder('company:acme')).toBe('replica-2');
  });

  it('uses the classifier to fail an outcome the job returned', async () => {
    const w = world();
    const summary = await runAllCompanies(
      opts(w, { classify: (o) => (o.startsWith('acme') ? { ok: false, kind: 'outage', reason: 'sync incomplete: Pipedrive 503' } : { ok: true }) }),
    );
    expect(summary.results[0]).toMatchObject({ status: 'failed', failure: { kind: 'outage', reason: 'sync incomplete: Pipedrive 503' }, consecutiveFailures: 1 });
    expect(summary.counts).toMatchObject({ succeeded: 2, failed: 1 });
  });

  it('reports a store failure for one company and goes on with the others', async () => {
    const w = world();
    const broken: LockBackend = {
      ...w.store.locks,
      tryAcquire: async (name, ...rest) => (name === 'company:globex' ? Promise.reject(new Error('READONLY You can\'t write against a read only replica.')) : w.store.locks.tryAcquire(name, ...rest)),
    };
    const summary = await runAllCompanies(opts(w, { store: { ...w.store, locks: broken } }));
    expect(statuses(summary.results)).toEqual({ acme: 'succeeded', globex: 'failed', initech: 'succeeded' });
    expect(summary.results[1]?.failure).toEqual({ kind: 'store', reason: "Error: READONLY You can't write against a read only replica." });
  });

  it('works on several companies at once when asked', async () => {
    const w = world();
    const { job, gate } = gatedJobs(w);
    const running = runAllCompanies(opts(w, { runCompany: job, concurrency: 3 }));
    await Promise.all(['acme', 'globex', 'initech'].map((id) => gate(id).started));
    for (const id of ['acme', 'globex', 'initech']) gate(id).release();
    expect((await running).counts.succeeded).toBe(3);
  });
});

