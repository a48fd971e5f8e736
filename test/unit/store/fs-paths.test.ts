import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDir, ensureDirSync, PathError, withFsTimeout } from '../../../src/store/fs-paths.js';
import { openStateStore } from '../../../src/store/open-state-store.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'cadence-fs-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('file-system calls on configured paths', () => {
  it('creates missing parents one level at a time', async () => {
    const base = tmp();
    await ensureDir(join(base, 'a', 'b', 'c'), 'CADENCE_REPORT_DIR');
    ensureDirSync(join(base, 'x', 'y'), 'CADENCE_STATE_URL');
    expect(statSync(join(base, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(statSync(join(base, 'x', 'y')).isDirectory()).toBe(true);
  });

  it('fails at once under /proc (a recursive mkdir there loops for minutes), naming the variable', async () => {
    const started = Date.now();
    await expect(ensureDir('/proc/cadence-test/reports', 'CADENCE_REPORT_DIR')).rejects.toThrow(/cannot create the folder "\/proc\/cadence-test\/reports".*CADENCE_REPORT_DIR/);
    expect(() => ensureDirSync('/proc/cadence-test/state', 'CADENCE_STATE_URL')).toThrow(/CADENCE_STATE_URL/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a path through a file says so in words', async () => {
    const file = join(tmp(), 'f');
    writeFileSync(file, '');
    await expect(ensureDir(join(file, 'reports'), 'CADENCE_REPORT_DIR')).rejects.toThrow(/a part of the path is a file, not a folder \(ENOTDIR\); set CADENCE_REPORT_DIR/);
  });

  it('a call that never answers fails after the timeout', async () => {
    const err = await withFsTimeout(new Promise(() => undefined), 'write the reports to', '/mnt/nfs/reports', 'CADENCE_REPORT_DIR', 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PathError);
    expect((err as Error).message).toBe(
      'cannot write the reports to "/mnt/nfs/reports": the file system did not answer in time (ETIMEDOUT); set CADENCE_REPORT_DIR to a path this user can write, or fix that folder',
    );
  });

  it('an SQLite state file in a folder that cannot be created names CADENCE_STATE_URL', async () => {
    const file = join(tmp(), 'f');
    writeFileSync(file, '');
    await expect(openStateStore(`sqlite://${join(file, 'data', 'cadence.sqlite')}`, pino({ level: 'silent' }))).rejects.toThrow(/CADENCE_STATE_URL/);
  });
});

describe('a state store that cannot be reached', () => {
  it('Redis: names host:port and CADENCE_STATE_URL, says the cause in words, no driver internals', async () => {
    const err = (await openStateStore('redis://127.0.0.1:6391', pino({ level: 'silent' })).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(
      'cannot reach the Redis state store at 127.0.0.1:6391 (CADENCE_STATE_URL): connection refused (nothing listens there); start Redis there, or set CADENCE_STATE_URL to where it runs',
    );
    expect(err.message).not.toMatch(/throwOnConnectError/);
  });

  it('PostgreSQL likewise, without the password of the URL', async () => {
    const err = (await openStateStore('postgres://cadence:s3cret-pw@127.0.0.1:5439/test', pino({ level: 'silent' })).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^cannot reach the PostgreSQL state store at 127\.0\.0\.1:5439 \(CADENCE_STATE_URL\): connection refused/);
    expect(err.message).not.toContain('s3cret-pw');
  });
});
