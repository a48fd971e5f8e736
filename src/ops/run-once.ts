/**
 * `cadence run-once`: one pass over every company, then exit (for cron and Kubernetes CronJob users).
 * Same locks and run records as the scheduler, so it can run beside `schedule` replicas safely.
 * Exit code (`runOnceExitCode`): 0 only when every company had a complete night; 1 when one failed for
 * any other reason than its credentials (the Job shows as failed; the others still ran); 3 when the
 * failures were all rejected credentials; 4 when nothing failed but the daily API budget stopped a
 * company early (checkpoint kept; the next run resumes); 0 after a clean SIGTERM/SIGINT (the work in
 * flight was checkpointed).
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
  return { exitCode: runOnceExitCode(summary), summary };
}

/** The README's exit codes this command uses (the same numbers as the CLI's table, src/cli/errors-to-exit.ts). */
export const RUN_ONCE_EXIT = { ok: 0, failed: 1, credentials: 3, budget: 4 } as const;

const CREDENTIAL_KINDS = new Set(['auth', 'forbidden']);

/** The most serious result wins: another failure (1), then rejected credentials (3), then a budget stop (4). */
export function runOnceExitCode(summary: Pick<RunSummary<unknown>, 'results'>): number {
  const failed = summary.results.filter((r) => r.status === 'failed' || r.status === 'lock-lost');
  if (failed.some((r) => r.status === 'lock-lost' || !CREDENTIAL_KINDS.has(r.failure?.kind ?? 'error'))) return RUN_ONCE_EXIT.failed;
  if (failed.length > 0) return RUN_ONCE_EXIT.credentials;
  if (summary.results.some((r) => r.status === 'stopped-budget')) return RUN_ONCE_EXIT.budget;
  return RUN_ONCE_EXIT.ok;
}
