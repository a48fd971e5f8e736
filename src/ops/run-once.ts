/**
 * `cadence run-once`: one pass over every company, then exit (for cron and Kubernetes CronJob users).
 * Same locks and run records as the scheduler, so it can run beside `schedule` replicas safely.
 * Exit code: 0 when no company failed, 1 when one did (the Job shows as failed; the others still
 * ran), 0 after a clean SIGTERM/SIGINT (the work in flight was checkpointed).
 */
import { runAllCompanies, type RunAllOptions, type RunSummary } from './run-all-companies.js';
import { installShutdown, type ShutdownOptions } from './shutdown.js';

export interface RunOnceOptions<O> extends Omit<RunAllOptions<O>, 'signal' | 'slot'> {
  /** Tick this pass counts as (`--slot`): passes with the same slot run each company once. Default: none. */
  slot?: Date | null;
  /** Called once the work has stopped (close the state store, the status server). */
  close?: () => Promise<void>;
  shutdown?: Omit<ShutdownOptions, 'logger'>;
}

export async function runOnce<O>(opts: RunOnceOptions<O>): Promise<{ exitCode: number; summary: RunSummary<O> }> {
  const shutdown = installShutdown({ logger: opts.logger, ...(opts.clock ? { clock: opts.clock } : {}), ...opts.shutdown });
  const running = runAllCompanies({ ...opts, slot: opts.slot ?? null, signal: shutdown.signal });
  shutdown.onShutdown(() => running.then(() => undefined));
  if (opts.close) shutdown.onShutdown(opts.close);

  let summary: RunSummary<O>;
  try {
    summary = await running;
  } catch (err) {
    if (!shutdown.requested) {
      shutdown.dispose();
      await opts.close?.();
    }
    throw err;
  }
  // On a signal the shutdown steps close everything and call exit; wait for that code.
  if (shutdown.requested) return { exitCode: await shutdown.exited, summary };
  shutdown.dispose();
  await opts.close?.();
  return { exitCode: summary.counts.failed + summary.counts['lock-lost'] > 0 ? 1 : 0, summary };
}
