/**
 * The state file, the report folders and their files are owner-only (0700 folders, 0600 files) even
 * under umask 000, where Node's and SQLite's defaults would make them world-readable (0777 / 0666).
 * Runs in a forked worker (vitest pool "forks"), where process.umask() may be set.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { writeReports } from '../../../src/report/write-reports.js';
import { openStateStore } from '../../../src/store/open-state-store.js';
import { buildFixture } from '../report/fixtures.js';

let dir: string;
let umaskBefore: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-modes-'));
  umaskBefore = process.umask(0o000);
});
afterEach(async () => {
  process.umask(umaskBefore);
  await rm(dir, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** Every folder and file under `root` with its mode, e.g. { 'a': 0o700, 'a/b.html': 0o600 }. */
async function modesUnder(root: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    if (e.isSymbolicLink()) continue;
    out[path.slice(root.length + 1)] = await modeOf(path);
  }
  return out;
}

describe('owner-only files under umask 000', () => {
  it('is really running under umask 000 (a file created plainly is world-writable)', async () => {
    await mkdir(join(dir, 'plain'));
    expect(await modeOf(join(dir, 'plain'))).toBe(0o777);
  });

  it('creates the SQLite state folder 0700 and the state file, its WAL and shared memory 0600', async () => {
    const file = join(dir, 'state', 'nested', 'cadence.sqlite');
    const store = await openStateStore(`sqlite://${file}`, createLogger({ level: 'silent' }));
    try {
      await store.company('acme').runs.append({ runId: 'r1', kind: 'job', startedAt: '2026-11-20T02:00:00Z', finishedAt: null, status: 'running' });
      expect(await modeOf(join(dir, 'state'))).toBe(0o700);
      expect(await modeOf(join(dir, 'state', 'nested'))).toBe(0o700);
      const files = await readdir(join(dir, 'state', 'nested'));
      expect(files).toEqual(expect.arrayContaining(['cadence.sqlite', 'cadence.sqlite-wal', 'cadence.sqlite-shm']));
      for (const f of files) expect([f, await modeOf(join(dir, 'state', 'nested', f))]).toEqual([f, 0o600]);
    } finally {
      await store.close();
    }
    // The parent it did not create is left as it was.
    expect(await modeOf(dir)).toBe(0o700); // mkdtemp's own mode
  });

  it('tightens an existing world-readable state file when it opens it', async () => {
    const file = join(dir, 'old.sqlite');
    const first = await openStateStore(`sqlite://${file}`, createLogger({ level: 'silent' }));
    await first.close();
    const { chmod } = await import('node:fs/promises');
    await chmod(file, 0o644);
    const again = await openStateStore(`sqlite://${file}`, createLogger({ level: 'silent' }));
    await again.close();
    expect(await modeOf(file)).toBe(0o600);
  });

  it.each(['auto', 'copy'] as const)('writes the report folders 0700 and the report files 0600 (latest: %s)', async (latestMode) => {
    const fx = buildFixture();
    const reports = join(dir, 'reports', 'acme');
    await writeReports({ ...fx, dir: reports, runId: 'run-1', retention: 3, companyDomain: 'acme', latestMode });
    await writeReports({ ...fx, dir: reports, runId: 'run-2', retention: 3, companyDomain: 'acme', latestMode });
    expect(await modeOf(join(dir, 'reports'))).toBe(0o700);
    expect(await modeOf(reports)).toBe(0o700);
    const modes = await modesUnder(reports);
    const expected = ['run-1', 'run-2', ...(latestMode === 'copy' ? ['latest'] : [])];
    for (const folder of expected) {
      expect(modes[folder], folder).toBe(0o700);
      for (const f of ['report.html', 'findings.csv', 'report.json']) expect(modes[join(folder, f)], join(folder, f)).toBe(0o600);
    }
    expect(Object.values(modes).every((m) => m === 0o700 || m === 0o600)).toBe(true);
  });
});
