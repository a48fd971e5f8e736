/**
 * A worker process for the operations end-to-end tests, and the template for running the real job:
 * it opens the state store from OPS_STATE_URL and runs `run-once` or `schedule` over OPS_COMPANIES with
 * the job built by the module at OPS_JOB_MODULE (default ./ops-job.ts). One JSON event per line on
 * stdout; pino logs on stderr.
 *
 * A job module exports `createJob(ctx) => (companyId, signal) => Promise<outcome>` and optionally
 * `classify(outcome) => Verdict`. ctx carries the open store, a logger and `emit` for test events, so
 * the real nightly job can be plugged in with a module that composes it from ctx.store.
 *
 *   OPS_MODE            once | schedule                 OPS_SCHEDULE, OPS_TIME_ZONE (UTC)
 *   OPS_COMPANIES       a,b,c                           OPS_SLOT   ISO instant for run-once --slot
 *   OPS_NAMESPACE       store namespace (cadence)       OPS_LOCK_TTL_MS, OPS_TAKEOVER_WAIT_MS, OPS_GRACE_MS
 *   LOG_LEVEL           pino level (info)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../../src/log/logger.js';
import { opsStoreFor } from '../../../src/ops/ops-store.js';
import type { RunCompany, Verdict } from '../../../src/ops/run-all-companies.js';
import { runOnce } from '../../../src/ops/run-once.js';
import { startScheduledService } from '../../../src/ops/run-scheduled.js';
import type { ShutdownProcess } from '../../../src/ops/shutdown.js';
import { newOwnerId } from '../../../src/store/lock.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import type { Logger } from '../../../src/log/logger.js';

export interface OpsJobContext {
  store: StateStore;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  emit(event: Record<string, unknown>): void;
}

export interface OpsJobModule {
  createJob(ctx: OpsJobContext): RunCompany<unknown> | Promise<RunCompany<unknown>>;
  classify?: (outcome: unknown) => Verdict;
}

const env = process.env;
const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...event })}\n`);
const num = (name: string, fallback: number) => (env[name] ? Number(env[name]) : fallback);

async function main(): Promise<void> {
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'info', base: { pid: process.pid } });
  const url = env.OPS_STATE_URL;
  if (!url) throw new Error('OPS_STATE_URL is required');
  const companies = (env.OPS_COMPANIES ?? '').split(',').filter(Boolean);
  const store = await openStateStore(url, logger, { namespace: env.OPS_NAMESPACE ?? 'cadence' });
  const jobPath = resolve(env.OPS_JOB_MODULE ?? new URL('./ops-job.ts', import.meta.url).pathname);
  const mod = (await import(pathToFileURL(jobPath).href)) as OpsJobModule;
  const runCompany = await mod.createJob({ store, logger, env, emit });
  const owner = newOwnerId();
  // Announce the exit code before exiting, so the test can tell a clean exit from a crash.
  const proc: ShutdownProcess = {
    on: (event, listener) => process.on(event, listener),
    off: (event, listener) => process.off(event, listener),
    exit: (code) => {
      emit({ event: 'exit', code });
      process.exit(code);
    },
  };
  const common = {
    companies,
    runCompany,
    store: opsStoreFor(store),
    logger,
    owner,
    lockTtlMs: num('OPS_LOCK_TTL_MS', 60_000),
    ...(env.OPS_TAKEOVER_WAIT_MS ? { takeoverWaitMs: Number(env.OPS_TAKEOVER_WAIT_MS) } : {}),
    ...(mod.classify ? { classify: mod.classify } : {}),
    onCompanyFinished: ({ outcome, ...r }: { companyId: string; status: string; consecutiveFailures: number; outcome?: unknown }) =>
      emit({ event: 'company', ...r, ...(outcome && typeof outcome === 'object' && 'status' in outcome ? { outcomeStatus: outcome.status } : {}) }),
    close: () => store.close(),
    shutdown: { proc, graceMs: num('OPS_GRACE_MS', 25_000) },
  };
  emit({ event: 'ready', owner, mode: env.OPS_MODE ?? 'once' });

  if ((env.OPS_MODE ?? 'once') === 'schedule') {
    const service = startScheduledService({
      ...common,
      schedule: env.OPS_SCHEDULE ?? '0 2 * * *',
      timeZone: env.OPS_TIME_ZONE ?? 'UTC',
      onRunFinished: (s) => emit({ event: 'run', slot: s.slot, counts: s.counts, results: s.results.map((r) => ({ companyId: r.companyId, status: r.status })) }),
    });
    emit({ event: 'scheduled', nextRun: service.scheduler.nextRun()?.toISOString() });
    await service.exited;
    return;
  }
  const { exitCode, summary } = await runOnce({ ...common, ...(env.OPS_SLOT ? { slot: new Date(env.OPS_SLOT) } : {}) });
  emit({ event: 'run', slot: summary.slot, counts: summary.counts, results: summary.results.map((r) => ({ companyId: r.companyId, status: r.status })) });
  proc.exit(exitCode);
}

main().catch((err: unknown) => {
  emit({ event: 'crash', error: (err as Error).stack ?? String(err) });
  process.exit(70);
});
