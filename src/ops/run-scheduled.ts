/**
 * `cadence schedule`: the scheduler plus signal handling, as one service. On SIGTERM/SIGINT the
 * scheduler takes no new tick, the job in flight is aborted through its signal and finishes its
 * current write, locks are released by withLock, then `close` runs and the process exits 0.
 * With companies in several time zones (a companies file), one schedule runs per zone.
 */
import type { ZoneGroup } from './deployment.js';
import { combineSchedulers, startScheduler, type Scheduler, type SchedulerOptions } from './scheduler.js';
import { installShutdown, type Shutdown, type ShutdownOptions } from './shutdown.js';

type Base<O> = Omit<SchedulerOptions<O>, 'signal' | 'companies' | 'timeZone'> & {
  /** Called after the scheduler stopped (close the state store, the status server). */
  close?: () => Promise<void>;
  shutdown?: Omit<ShutdownOptions, 'logger'>;
};

export type ScheduledServiceOptions<O> = Base<O> & ({ companies: readonly string[]; timeZone: string } | { zones: readonly ZoneGroup[] });

export interface ScheduledService {
  scheduler: Scheduler;
  shutdown: Shutdown;
  /** Resolves with the exit code when the service has stopped (the process exits right after). */
  exited: Promise<number>;
}

export function startScheduledService<O>(opts: ScheduledServiceOptions<O>): ScheduledService {
  const shutdown = installShutdown({ logger: opts.logger, ...(opts.clock ? { clock: opts.clock } : {}), ...opts.shutdown });
  const zones = 'zones' in opts ? opts.zones : [{ timeZone: opts.timeZone, companies: [...opts.companies] }];
  const started: Scheduler[] = [];
  try {
    for (const zone of zones) {
      started.push(startScheduler({ ...opts, companies: zone.companies, timeZone: zone.timeZone, signal: shutdown.signal, logger: zones.length > 1 ? opts.logger.child({ timeZone: zone.timeZone }) : opts.logger }));
    }
  } catch (err) {
    void Promise.all(started.map((s) => s.stop()));
    shutdown.dispose();
    throw err;
  }
  const scheduler = started.length === 1 ? started[0]! : combineSchedulers(started);
  shutdown.onShutdown(() => scheduler.stop());
  if (opts.close) shutdown.onShutdown(opts.close);
  return { scheduler, shutdown, exited: shutdown.exited };
}
