import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findingsCsvRow, parseFindingsCsv } from '../../../src/report/findings-csv.js';
import { ReportV1 } from '../../../src/report/report-schema.js';
import { latestReportPath, writeReports, type WriteReportsInput } from '../../../src/report/write-reports.js';
import { buildFixture } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-reports-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function input(runId: string, finishedAt: string, extra: Partial<WriteReportsInput> = {}): WriteReportsInput {
  const fx = buildFixture();
  return { ...fx, run: { ...fx.run, finishedAt }, dir, runId, retention: 3, companyDomain: 'acme', ...extra };
}

describe('writeReports', () => {
  it('writes report.html, findings.csv, executives.csv and report.json into a folder per run and points latest at it', async () => {
    const out = await writeReports(input('2026-11-20T13-00-00Z', '2026-11-20T13:00:42Z'));
    expect(out.folder).toBe(join(dir, '2026-11-20T13-00-00Z'));
    expect((await readdir(out.folder)).sort()).toEqual(['executives.csv', 'findings.csv', 'report.html', 'report.json']);
    const json = ReportV1.parse(JSON.parse(await readFile(out.files.json, 'utf8')));
    expect(json.runId).toBe('2026-11-20T13-00-00Z');
    expect(parseFindingsCsv(await readFile(out.files.csv, 'utf8'))).toEqual(json.dataQuality.findings.map(findingsCsvRow));
    const html = await readFile(out.files.html, 'utf8');
    expect(html).toContain('<!doctype html>');
    expect(html).toContain(`data-count="${json.dataQuality.byOwner[0]!.count}"`);
    expect(out.latest.kind).toBe('symlink');
    expect(await readlink(join(dir, 'latest'))).toBe('2026-11-20T13-00-00Z');
    expect(latestReportPath(dir)).toBe(join(dir, 'latest', 'report.html'));
    expect(await readFile(latestReportPath(dir)!, 'utf8')).toBe(html);
    // No staging folder is left behind.
    expect((await readdir(dir)).sort()).toEqual(['2026-11-20T13-00-00Z', 'latest']);
  });

  it('keeps the newest runs by retention, moves latest, and leaves unrelated folders alone', async () => {
    await mkdir(join(dir, 'notes'));
    await writeFile(join(dir, 'notes', 'keep.txt'), 'mine');
    const runs = ['run-a', 'run-b', 'run-c', 'run-d', 'run-e'];
    const pruned: string[][] = [];
    for (const [i, runId] of runs.entries()) {
      const out = await writeReports(input(runId, `2026-11-2${i}T10:00:00Z`, { retention: 2 }));
      pruned.push(out.pruned);
    }
    expect(pruned).toEqual([[], [], ['run-a'], ['run-b'], ['run-c']]);
    expect((await readdir(dir)).sort()).toEqual(['latest', 'notes', 'run-d', 'run-e']);
    expect(await readlink(join(dir, 'latest'))).toBe('run-e');
    expect(await readFile(join(dir, 'notes', 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('orders runs by their finish time, not by name, and never prunes the run just written', async () => {
    await writeReports(input('zz-newest', '2026-11-25T10:00:00Z', { retention: 1 }));
    const out = await writeReports(input('aa-late-rerun', '2026-11-20T10:00:00Z', { retention: 1 }));
    expect(out.pruned).toEqual([]);
    const out2 = await writeReports(input('mm-next', '2026-11-26T10:00:00Z', { retention: 1 }));
    expect(out2.pruned.sort()).toEqual(['aa-late-rerun', 'zz-newest']);
  });

  it("prunes a large company's runs by reading only the head of their report.json", async () => {
    // A report.json beyond what one JavaScript string holds (~512 MiB, a 50k-client company's is about that):
    // a sparse file, so the test uses no disk. Read whole, it could not be parsed and the run was never pruned.
    const big = await writeReports(input('run-big', '2026-11-20T10:00:00Z', { retention: 5 }));
    await truncate(big.files.json, 600 * 1024 * 1024);
    const other = join(dir, 'not-a-run');
    await mkdir(other);
    await writeFile(join(other, 'report.json'), '{"something":"else","run":{"finishedAt":"2020-01-01T00:00:00Z"}}');
    await writeReports(input('run-next', '2026-11-21T10:00:00Z', { retention: 5 }));
    const out = await writeReports(input('run-last', '2026-11-22T10:00:00Z', { retention: 2 }));
    expect(out.pruned).toEqual(['run-big']);
    expect((await readdir(dir)).sort()).toEqual(['latest', 'not-a-run', 'run-last', 'run-next']);
  });

  it('replaces the folder when the same run id is written again', async () => {
    await writeReports(input('run-x', '2026-11-20T10:00:00Z'));
    const fx = buildFixture();
    const out = await writeReports(input('run-x', '2026-11-20T11:00:00Z', { result: { ...fx.result, otherFindings: [] } }));
    const json = ReportV1.parse(JSON.parse(await readFile(out.files.json, 'utf8')));
    expect(json.summary.findings).toBe(6);
    expect(json.run.finishedAt).toBe('2026-11-20T11:00:00Z');
  });

  it('copies the run into latest where links are not wanted, and switches back to a link later', async () => {
    const out = await writeReports(input('run-1', '2026-11-20T10:00:00Z', { latestMode: 'copy' }));
    expect(out.latest.kind).toBe('copy');
    const stat = await lstat(join(dir, 'latest'));
    expect(stat.isDirectory() && !stat.isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'latest', 'report.json'), 'utf8')).toBe(await readFile(out.files.json, 'utf8'));
    const again = await writeReports(input('run-2', '2026-11-21T10:00:00Z'));
    expect(again.latest.kind).toBe('symlink');
    expect(await readlink(join(dir, 'latest'))).toBe('run-2');
    // Replacing a link by a copy removes the link, not the run it pointed at.
    await writeReports(input('run-3', '2026-11-22T10:00:00Z', { latestMode: 'copy' }));
    expect((await readdir(join(dir, 'run-2'))).sort()).toEqual(['executives.csv', 'findings.csv', 'report.html', 'report.json']);
    expect(JSON.parse(await readFile(join(dir, 'latest', 'report.json'), 'utf8')).runId).toBe('run-3');
  });

  it('rejects run ids that are not one safe folder name, and a retention below 1', async () => {
    for (const bad of ['../escape', 'a/b', 'latest', '', '.hidden', 'a..b']) {
      await expect(writeReports(input(bad, '2026-11-20T10:00:00Z'))).rejects.toThrow(/invalid run id/);
    }
    await expect(writeReports(input('ok', '2026-11-20T10:00:00Z', { retention: 0 }))).rejects.toThrow(/CADENCE_REPORT_RETENTION/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('has no latest report before the first run', () => {
    expect(latestReportPath(dir)).toBeNull();
  });
});
