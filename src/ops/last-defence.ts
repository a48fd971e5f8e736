/**
 * The process's last line of defence: an unhandled promise rejection or an uncaught exception is a bug
 * (every error the job expects is caught and reported where it happens), but when one happens anyway the
 * process must not die the way Node does by default (a stack on stderr, no run record, the company's
 * lock left to expire, so the next run waits out the lease in silence). Instead, once:
 *
 * 1. it is logged at error level with its message (the stack only at debug level), secrets scrubbed;
 * 2. every hook registered with `onFatal` runs (the operations layer records the company's run as failed
 *    with that reason and releases the company lock this process holds), bounded by `hooksTimeoutMs`;
 * 3. the logs are flushed and the process exits with `exitCode` (the README's 70, "internal error").
 *
 * A second fatal error while this happens is logged at debug level and otherwise ignored.
 */
import type { Logger } from '../log/logger.js';
import { describeFailure, type Failure } from './describe-failure.js';

export type FatalHook = (failure: Failure) => Promise<void> | void;

const hooks = new Set<FatalHook>();
let currentLogger: Logger | undefined;

/** Registers work to do before the process exits on a fatal error; returns the function that removes it. */
export function onFatal(hook: FatalHook): () => void {
  hooks.add(hook);
  return () => void hooks.delete(hook);
}

/** The logger the fatal error is reported to (the deployment's, which censors every token). */
export function setFatalLogger(logger: Logger): void {
  currentLogger = logger;
}

/** The part of `process` used here, injectable so tests need not crash themselves. */
export interface DefenceProcess {
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (err: unknown) => void): unknown;
  off(event: 'unhandledRejection' | 'uncaughtException', listener: (err: unknown) => void): unknown;
  exit(code: number): void;
  exitCode?: number | string | null | undefined;
}

export interface LastDefenceOptions {
  exitCode: number;
  proc?: DefenceProcess;
  /** Where to say it when no logger is set yet (default: stderr). */
  write?: (line: string) => void;
  /** Longest time the hooks may take before the process exits anyway (default 10 s). */
  hooksTimeoutMs?: number;
}

export interface LastDefence {
  /** True once a fatal error was caught: the exit code is the defence's, not the command's. */
  readonly fired: boolean;
  /** What the process handlers call; exposed for tests. */
  handle(err: unknown, origin: 'unhandled rejection' | 'uncaught exception'): Promise<void>;
  dispose(): void;
}

export function installLastDefence({ exitCode, proc = process, write = (l) => void process.stderr.write(l), hooksTimeoutMs = 10_000 }: LastDefenceOptions): LastDefence {
  let fired = false;

  const handle = async (err: unknown, origin: 'unhandled rejection' | 'uncaught exception'): Promise<void> => {
    const logger = currentLogger;
    if (fired) {
      logger?.debug({ origin, reason: describeFailure(err).reason }, 'another fatal error while stopping; ignored');
      return;
    }
    fired = true;
    proc.exitCode = exitCode;
    const failure = describeFailure(err);
    const message = `internal error (${origin}): ${failure.reason}; the run is recorded as failed and its locks released (exit ${exitCode})`;
    if (logger) {
      logger.error({ origin, kind: failure.kind, reason: failure.reason }, message);
      logger.debug({ origin, stack: err instanceof Error ? err.stack : undefined }, 'internal error: stack');
    } else {
      write(`cadence: ${message}\n`);
    }
    const internal: Failure = { kind: 'error', reason: `internal error (${origin}): ${failure.reason}` };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger?.error({ hooksTimeoutMs }, 'recording the run and releasing the locks took too long; exiting anyway (the locks expire with their lease)');
        resolve();
      }, hooksTimeoutMs);
    });
    const work = Promise.all(
      [...hooks].map(async (hook) => {
        try {
          await hook(internal);
        } catch (hookErr) {
          logger?.warn({ reason: describeFailure(hookErr).reason }, 'after an internal error: a clean-up step failed');
        }
      }),
    );
    await Promise.race([work, timeout]);
    clearTimeout(timer);
    await new Promise<void>((resolve) => {
      if (!logger) return resolve();
      try {
        logger.flush(() => resolve());
      } catch {
        resolve();
      }
    });
    proc.exit(exitCode);
  };

  const onRejection = (err: unknown) => void handle(err, 'unhandled rejection');
  const onException = (err: unknown) => void handle(err, 'uncaught exception');
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return {
    get fired() {
      return fired;
    },
    handle,
    dispose() {
      proc.off('unhandledRejection', onRejection);
      proc.off('uncaughtException', onException);
    },
  };
}
