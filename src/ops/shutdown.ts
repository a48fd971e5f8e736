/**
 * SIGTERM / SIGINT: stop taking new work, let the job in flight finish its current write and
 * checkpoint (it sees the AbortSignal between writes and pages), release the locks, flush the logs
 * and exit 0, all within `graceMs`. Kubernetes sends SIGTERM and waits terminationGracePeriodSeconds
 * (30 s by default) before SIGKILL, so the default grace is 25 s. A second signal exits at once
 * (128 + signal number, like a shell), leaving the leases to expire on their own.
 * If the grace runs out first: exit 1, with a log line saying so (the leases expire by themselves).
 */
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { ErrorKind } from '../domain/errors.js';

/** The part of `process` used here, injectable so tests need not send real signals to themselves. */
export interface ShutdownProcess {
  on(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGTERM' | 'SIGINT', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface ShutdownOptions {
  logger: Logger;
  /** Longest time between the first signal and exit (default 25 000 ms). */
  graceMs?: number;
  proc?: ShutdownProcess;
  clock?: Clock;
}

/** The abort reason jobs see: they should checkpoint and return, not count it as a failure. */
export class ShutdownError extends Error {
  override readonly name = 'ShutdownError';
  readonly kind: ErrorKind = 'aborted';
  constructor(readonly signalName: string) {
    super(`shutting down on ${signalName}`);
  }
}

export interface Shutdown {
  /** Aborted on the first signal; pass it to the scheduler / runAllCompanies. */
  readonly signal: AbortSignal;
  readonly requested: boolean;
  /** Steps run in order after the first signal (e.g. stop the scheduler, then close the store). */
  onShutdown(step: () => Promise<void> | void): void;
  /** Starts the shutdown as a signal would (e.g. on a fatal error). */
  begin(reason: string): void;
  /** Resolves with the exit code once exit has been called. */
  readonly exited: Promise<number>;
  /** Removes the signal handlers (the work ended on its own). */
  dispose(): void;
}

export const DEFAULT_GRACE_MS = 25_000;
const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installShutdown({ logger, graceMs = DEFAULT_GRACE_MS, proc = process, clock = systemClock() }: ShutdownOptions): Shutdown {
  const controller = new AbortController();
  const steps: Array<() => Promise<void> | void> = [];
  let resolveExited!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExited = r));
  let exitedAlready = false;

  const flush = () =>
    new Promise<void>((resolve) => {
      try {
        logger.flush((err) => {
          void err;
          resolve();
        });
      } catch {
        resolve();
      }
    });
  const exit = (code: number) => {
    if (exitedAlready) return;
    exitedAlready = true;
    dispose();
    resolveExited(code);
    proc.exit(code);
  };

  const begin = (reason: string) => {
    if (controller.signal.aborted) return;
    logger.info({ reason, graceMs }, `${reason}: finishing the current write, then exiting (send the signal again to exit at once)`);
    controller.abort(new ShutdownError(reason));
    const cancelGrace = clock.setTimer(graceMs, () => {
      logger.error({ graceMs }, `did not stop within ${graceMs} ms; exiting anyway (locks expire with their lease)`);
      void flush().then(() => exit(1));
    });
    void (async () => {
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          logger.error({ err: (err as Error).message }, 'shutdown step failed; continuing');
        }
      }
      cancelGrace();
      logger.info('stopped cleanly');
      await flush();
      exit(0);
    })();
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) return begin(signal);
    logger.warn({ signal }, `second ${signal}: exiting now`);
    void flush().then(() => exit(128 + (SIGNAL_NUMBERS[signal] ?? 15)));
  };
  const dispose = () => {
    for (const s of SIGNALS) proc.off(s, onSignal);
  };
  for (const s of SIGNALS) proc.on(s, onSignal);

  return {
    signal: controller.signal,
    get requested() {
      return controller.signal.aborted;
    },
    onShutdown: (step) => void steps.push(step),
    begin,
    exited,
    dispose,
  };
}
