/**
 * `cadence schedule`: the scheduler plus signal handling, as one service. On SIGTERM/SIGINT the
 * scheduler takes no new tick, the job in flight is aborted through its signal and finishes its
 * current write, locks are released by withLock, then `close` runs and the process exits 0.
 */
import { startScheduler, type Scheduler, type SchedulerOptions } from './scheduler.js';
import { installShutdown, type Shutdown, type ShutdownOptions } from './shutdown.js';

export interface ScheduledServiceOptions<O> extends Omit<SchedulerOptions<O>, 'signal'> {
  /** Called after the scheduler stopped (close the state store, the status server). */
  close?: () => Promise<void>;
  shutdown?: Omit<ShutdownOptions, 'logger'>;
}

export interface ScheduledService {
  scheduler: Scheduler;
  shutdown: Shutdown;
  /** Resolves with the exit code when the service has stopped (the process exits right after). */
  exited: Promise<number>;
}

export function startScheduledService<O>(opts: ScheduledServiceOptions<O>): ScheduledService {
  const shutdown = installShutdown({ logger: opts.logger, ...(opts.clock ? { clock: opts.clock } : {}), ...opts.shutdown });
  let scheduler: Scheduler;
  try {
    scheduler = startScheduler({ ...opts, signal: shutdown.signal });
  } catch (err) {
    shutdown.dispose();
    throw err;
  }
  shutdown.onShutdown(() => scheduler.stop());
  if (opts.close) shutdown.onShutdown(opts.close);
  return { scheduler, shutdown, exited: shutdown.exited };
}
