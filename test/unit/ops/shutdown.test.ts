import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installShutdown, ShutdownError, type ShutdownProcess } from '../../../src/ops/shutdown.js';
import { captureLogger } from './capture-logger.js';
import { manualClock, settle } from './manual-clock.js';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const proc: ShutdownProcess & { send(signal: 'SIGTERM' | 'SIGINT'): void; listeners(): number } = {
    on: (event, listener) => emitter.on(event, listener),
    off: (event, listener) => emitter.off(event, listener),
    exit: (code) => void exits.push(code),
    send: (signal) => void emitter.emit(signal, signal),
    listeners: () => emitter.listenerCount('SIGTERM') + emitter.listenerCount('SIGINT'),
  };
  return { proc, exits };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('installShutdown', () => {
  it('first SIGTERM: aborts the work, runs the steps in order, then exits 0', async () => {
    const { proc, exits } = fakeProcess();
    const clock = manualClock(0);
    const log = captureLogger();
    const shutdown = installShutdown({ logger: log.logger, proc, clock, graceMs: 10_000 });
    const order: string[] = [];
    const jobDone = deferred();
    shutdown.onShutdown(async () => {
      order.push('stop scheduler: waits for the job');
      await jobDone.promise;
    });
    shutdown.onShutdown(() => void order.push('close store'));
    expect(shutdown.requested).toBe(false);

    proc.send('SIGTERM');
    expect(shutdown.signal.aborted).toBe(true);
    expect(shutdown.signal.reason).toBeInstanceOf(ShutdownError);
    await settle();
    expect(order).toEqual(['stop scheduler: waits for the job']);
    expect(exits).toEqual([]); // the job is finishing its write
    jobDone.resolve();
    expect(await shutdown.exited).toBe(0);
    expect(order).toEqual(['stop scheduler: waits for the job', 'close store']);
    expect(exits).toEqual([0]);
    expect(proc.listeners()).toBe(0);
    expect(clock.pending()).toBe(0); // grace timer cancelled
    expect(log.lines.map((l) => l.msg)).toEqual(['SIGTERM: finishing the current write, then exiting (send the signal again to exit at once)', 'stopped cleanly']);
  });

  it('a second signal exits at once with 128 + the signal number', async () => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const { proc, exits } = fakeProcess();
      const log = captureLogger();
      const shutdown = installShutdown({ logger: log.logger, proc, clock: manualClock(0) });
      shutdown.onShutdown(() => new Promise<void>(() => undefined)); // a job that never stops
      proc.send('SIGTERM');
      await settle();
      proc.send(signal);
      expect(await shutdown.exited).toBe(code);
      expect(exits).toEqual([code]);
      expect(log.problems()).toEqual([`second ${signal}: exiting now`]);
    }
  });

  it('exits 1 when the work does not stop within the grace period', async () => {
    const { proc, exits } = fakeProcess();
    const clock = manualClock(0);
    const log = captureLogger();
    const shutdown = installShutdown({ logger: log.logger, proc, clock, graceMs: 5_000 });
    shutdown.onShutdown(() => new Promise<void>(() => undefined));
    proc.send('SIGINT');
    await clock.advance(4_999);
    expect(exits).toEqual([]);
    await clock.advance(1);
    expect(await shutdown.exited).toBe(1);
    expect(log.problems()).toEqual(['did not stop within 5000 ms; exiting anyway (locks expire with their lease)']);
  });

  it('goes on with the next step when one fails', async () => {
    const { proc, exits } = fakeProcess();
    const log = captureLogger();
    const shutdown = installShutdown({ logger: log.logger, proc, clock: manualClock(0) });
    let closed = false;
    shutdown.onShutdown(() => Promise.reject(new Error('redis connection already closed')));
    shutdown.onShutdown(() => void (closed = true));
    shutdown.begin('fatal error');
    expect(await shutdown.exited).toBe(0);
    expect(closed).toBe(true);
    expect(exits).toEqual([0]);
    expect(log.problems()).toEqual(['shutdown step failed; continuing']);
  });

  it('dispose() stops listening (the work ended on its own)', () => {
    const { proc, exits } = fakeProcess();
    const shutdown = installShutdown({ logger: captureLogger().logger, proc, clock: manualClock(0) });
    expect(proc.listeners()).toBe(2);
    shutdown.dispose();
    expect(proc.listeners()).toBe(0);
    proc.send('SIGTERM');
    expect(shutdown.signal.aborted).toBe(false);
    expect(exits).toEqual([]);
  });
});
