import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { installLastDefence, onFatal, setFatalLogger, type DefenceProcess, type LastDefence } from '../../../src/ops/last-defence.js';
import { captureLogger } from './capture-logger.js';
import { DailyBudgetExhaustedError } from '../../../src/pipedrive/errors.js';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  let exited!: () => void;
  const exitedOnce = new Promise<void>((r) => (exited = r));
  const proc: DefenceProcess = {
    on: (e, l) => emitter.on(e, l),
    off: (e, l) => emitter.off(e, l),
    exit: (code) => {
      exits.push(code);
      exited();
    },
    exitCode: undefined,
  };
  return { proc, emitter, exits, exitedOnce };
}

const SECRET = 'pd-secret-token-123456';
let defence: LastDefence | undefined;
let offs: Array<() => void> = [];
afterEach(() => {
  defence?.dispose();
  for (const off of offs) off();
  offs = [];
});

describe('the last line of defence', () => {
  it('an unhandled rejection: logged once at error without stack (stack at debug), hooks run (run recorded, lock released), then exit 70', async () => {
    const p = fakeProcess();
    const log = captureLogger([SECRET]);
    setFatalLogger(log.logger);
    const seen: string[] = [];
    offs.push(onFatal(async (f) => void seen.push(`record: ${f.reason}`)));
    offs.push(onFatal(() => void seen.push('release')));
    defence = installLastDefence({ exitCode: 70, proc: p.proc });

    p.emitter.emit('unhandledRejection', new DailyBudgetExhaustedError(`budget spent; token=${SECRET}`, { method: 'GET', path: '/api/v2/deals' }, {}));
    expect(p.proc.exitCode).toBe(70);
    expect(defence.fired).toBe(true);
    await p.exitedOnce;
    expect(p.exits).toEqual([70]);
    expect(seen).toEqual(['record: internal error (unhandled rejection): budget spent; token=[REDACTED]', 'release']);
    const errors = log.lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/^internal error \(unhandled rejection\): budget spent/);
    expect(JSON.stringify(errors)).not.toMatch(/\n\s+at |stack/);
    expect(log.lines.find((l) => l.level === 20 && typeof l.stack === 'string')).toBeDefined();
    expect(JSON.stringify(log.lines)).not.toContain(SECRET);
  });

  it('a second fatal error while stopping is not logged again and does not exit twice', async () => {
    const p = fakeProcess();
    const log = captureLogger();
    setFatalLogger(log.logger);
    let release!: () => void;
    offs.push(onFatal(() => new Promise<void>((r) => (release = r))));
    defence = installLastDefence({ exitCode: 70, proc: p.proc });
    p.emitter.emit('uncaughtException', new Error('first'));
    p.emitter.emit('unhandledRejection', new Error('second'));
    release();
    await p.exitedOnce;
    await new Promise((r) => setTimeout(r, 5));
    expect(p.exits).toEqual([70]);
    expect(log.lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([expect.stringMatching(/^internal error \(uncaught exception\): Error: first;/)]);
  });

  it('a clean-up step that fails or hangs does not keep the process alive', async () => {
    const p = fakeProcess();
    const log = captureLogger();
    setFatalLogger(log.logger);
    offs.push(onFatal(() => Promise.reject(new Error('store down'))));
    offs.push(onFatal(() => new Promise<void>(() => undefined)));
    defence = installLastDefence({ exitCode: 70, proc: p.proc, hooksTimeoutMs: 20 });
    p.emitter.emit('unhandledRejection', new Error('boom'));
    await p.exitedOnce;
    expect(p.exits).toEqual([70]);
    expect(log.problems()).toEqual([
      expect.stringMatching(/^internal error/),
      'after an internal error: a clean-up step failed',
      expect.stringMatching(/took too long; exiting anyway/),
    ]);
  });

  it('a removed hook does not run', async () => {
    const p = fakeProcess();
    setFatalLogger(captureLogger().logger);
    let ran = false;
    onFatal(() => void (ran = true))();
    defence = installLastDefence({ exitCode: 70, proc: p.proc });
    p.emitter.emit('uncaughtException', new Error('boom'));
    await p.exitedOnce;
    expect(ran).toBe(false);
  });
});
