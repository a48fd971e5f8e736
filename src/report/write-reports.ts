/**
 * The imperative shell of the reports: renders the files of a run (report.html, findings.csv, executives.csv, report.json) into `<dir>/<runId>/`, points
 * `<dir>/latest` at it (a relative symlink, or a copy where the file system refuses links), and prunes
 * the oldest run folders beyond the retention count.
 *
 * Each run folder is written under a temporary name and renamed into place, so a reader (the status
 * server, a browser) never sees half a report; `latest` is swapped by renaming over it.
 *
 * Folders are created 0700 and files 0600 whatever the umask: a report names clients, people and
 * their risks (personal data under LGPD), so only the worker's user reads it on a shared host.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, open, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log/logger.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../store/private-fs.js';
import { ensureDir, FS_TIMEOUT_MS, withFsTimeout } from '../store/fs-paths.js';
import { buildReportView, type BuildReportInput } from './build-json-report.js';
import { renderExecutivesCsv } from './executives-csv.js';
import { findingsCsvLines } from './findings-csv.js';
import { batchChunks, reportJsonChunks } from './json-chunks.js';
import { renderHtml } from './render-html.js';

export const REPORT_FILES = { html: 'report.html', csv: 'findings.csv', json: 'report.json', executivesCsv: 'executives.csv' } as const;
export const LATEST = 'latest';

export interface WriteReportsInput extends BuildReportInput {
  /** Report directory (CADENCE_REPORT_DIR). Created when missing. */
  dir: string;
  /** How many run folders to keep, the new one included (CADENCE_REPORT_RETENTION, ≥ 1). */
  retention: number;
  /**
   * `auto` (default): a symlink, falling back to a copy where the file system refuses links; `copy`:
   * always a copy (for volumes known to mangle links, e.g. some host mounts).
   */
  latestMode?: 'auto' | 'copy';
  logger?: Logger;
  /** Bound of one file-system call on the report folder (default FS_TIMEOUT_MS, 30 s). */
  fsTimeoutMs?: number;
}

export interface WrittenReports {
  folder: string;
  files: { html: string; csv: string; json: string; executivesCsv: string };
  /** How `latest` was made: a symlink, or a copy where links are not supported. */
  latest: { path: string; kind: 'symlink' | 'copy' };
  /** Run folders removed by retention. */
  pruned: string[];
}

/** A run id becomes a folder name: keep it to one safe path segment. */
export function assertSafeRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(runId) || runId === LATEST || runId.includes('..')) {
    throw new Error(
      `invalid run id "${runId}" for a report folder: use letters, digits and _ . : - (up to 128 characters, not "${LATEST}")`,
    );
  }
}

export async function writeReports(input: WriteReportsInput): Promise<WrittenReports> {
  const { dir, runId, retention, logger } = input;
  assertSafeRunId(runId);
  if (!Number.isInteger(retention) || retention < 1) {
    throw new Error(`invalid report retention ${retention}: set CADENCE_REPORT_RETENTION to a whole number ≥ 1`);
  }
  // The per-record lists are built a row at a time as each file reads them (report-view.ts): the run never
  // holds the described copy of every client and finding.
  const report = buildReportView(input);
  const texts = input.policy.texts[input.policy.locale];

  // Every call on the report folder is bounded and fails with a message naming CADENCE_REPORT_DIR. Folders
  // and files are owner-only whatever the umask (private-fs.ts): the reports name clients and people.
  const ms = input.fsTimeoutMs ?? FS_TIMEOUT_MS;
  const step = <T>(call: Promise<T>, what: string, timeoutMs = ms): Promise<T> => withFsTimeout(call, what, dir, 'CADENCE_REPORT_DIR', timeoutMs);
  await ensureDir(dir, 'CADENCE_REPORT_DIR', ms);
  const folder = join(dir, runId);
  const staging = join(dir, `.${runId}.tmp-${process.pid}`);
  const file = { encoding: 'utf8', mode: PRIVATE_FILE_MODE } as const;
  await step(rm(staging, { recursive: true, force: true }), 'write the reports to');
  await step(mkdir(staging, { mode: PRIVATE_DIR_MODE }), 'write the reports to');
  await step(chmod(staging, PRIVATE_DIR_MODE), 'write the reports to');
  await step(writeFile(join(staging, REPORT_FILES.html), renderHtml(report, texts), file), 'write the reports to');
  await step(streamTo(join(staging, REPORT_FILES.csv), findingsCsvLines(report.dataQuality.findings), file), 'write the reports to', ms * 20);
  await step(
    writeFile(join(staging, REPORT_FILES.executivesCsv), renderExecutivesCsv(report.executives ?? [], report.tiers.map((t) => t.level)), file),
    'write the reports to',
  );
  // Compact and streamed: a large company's JSON is hundreds of megabytes (longer bound).
  await step(
    streamTo(join(staging, REPORT_FILES.json), withNewline(reportJsonChunks(report)), file),
    'write the reports to',
    ms * 20,
  );
  // Re-running the same run id replaces its folder.
  await step(rm(folder, { recursive: true, force: true }), 'write the reports to');
  await step(rename(staging, folder), 'write the reports to');

  const latest = await step(pointLatest(dir, runId, input.latestMode ?? 'auto'), 'point "latest" at the new report in', ms * 4);
  const pruned = await step(pruneRuns(dir, retention, runId), 'prune old reports in', ms * 20);
  logger?.info(
    { reportDir: dir, runId, findings: report.summary.findings, latest: latest.kind, pruned: pruned.length },
    'reports written',
  );
  return {
    folder,
    files: {
      html: join(folder, REPORT_FILES.html),
      csv: join(folder, REPORT_FILES.csv),
      json: join(folder, REPORT_FILES.json),
      executivesCsv: join(folder, REPORT_FILES.executivesCsv),
    },
    latest,
    pruned,
  };
}

/**
 * How much written text the file stream may hold before it asks for a pause: with the default 16 KB each
 * ~64 KB write waited for the disk before the next piece was built; 1 MiB lets the next pieces be built
 * meanwhile (report.json at 0.3x: 3.45 -> 2.8 s, no change in peak RSS).
 */
export const REPORT_WRITE_BUFFER = 1024 * 1024;

/** Writes text pieces to a new file in ~64 KB writes. */
function streamTo(path: string, chunks: Iterable<string>, options: { encoding: 'utf8'; mode: number }): Promise<void> {
  return pipeline(Readable.from(batchChunks(chunks)), createWriteStream(path, { ...options, highWaterMark: REPORT_WRITE_BUFFER }));
}

function* withNewline(chunks: Iterable<string>): Generator<string> {
  yield* chunks;
  yield '\n';
}

async function pointLatest(dir: string, runId: string, mode: 'auto' | 'copy'): Promise<WrittenReports['latest']> {
  const path = join(dir, LATEST);
  const temp = join(dir, `.${LATEST}.tmp-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  if (mode === 'auto') {
    try {
      await symlink(runId, temp, 'dir');
      // rename() replaces an existing symlink atomically; a former copy (a real directory) must go first.
      const existing = await lstat(path).catch(() => null);
      if (existing?.isDirectory()) await rm(path, { recursive: true, force: true });
      await rename(temp, path);
      return { path, kind: 'symlink' };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EINVAL') throw err;
      await rm(temp, { recursive: true, force: true });
    }
  }
  await cp(join(dir, runId), temp, { recursive: true });
  // cp keeps the files' modes (0600); the folder it creates follows the umask: tighten it.
  await chmod(temp, PRIVATE_DIR_MODE);
  await rm(path, { recursive: true, force: true });
  await rename(temp, path);
  return { path, kind: 'copy' };
}

/**
 * Keeps the newest `retention` run folders. Only folders holding one of our report.json files are considered runs
 * (anything else in the directory is left alone); age is the run's finish time recorded in that file.
 */
async function pruneRuns(dir: string, retention: number, currentRunId: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const runs: { name: string; finishedAt: number }[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || e.name === LATEST || e.name.startsWith('.')) continue;
    const jsonPath = join(dir, e.name, REPORT_FILES.json);
    const finishedAt = await readFinishedAt(jsonPath);
    if (finishedAt !== null) runs.push({ name: e.name, finishedAt });
  }
  runs.sort((a, b) => b.finishedAt - a.finishedAt || b.name.localeCompare(a.name));
  const keep = new Set(runs.slice(0, retention).map((r) => r.name));
  keep.add(currentRunId);
  const pruned: string[] = [];
  for (const r of runs) {
    if (keep.has(r.name)) continue;
    await rm(join(dir, r.name), { recursive: true, force: true });
    pruned.push(r.name);
  }
  return pruned;
}

/**
 * How much of a report.json is read to learn its run's finish time: the heading (ids, locale, the `run`
 * object) comes before the per-client lists and is a few KB. A large company's report is hundreds of MB,
 * more than one JavaScript string can hold (about 512 MiB), so it is never read whole.
 */
const HEAD_BYTES = 64 * 1024;
/** `run.finishedAt` in the head; inside a JSON string the quotes would be escaped, so this matches only keys. */
const FINISHED_AT = /"run":\{[^]*?"finishedAt":"([^"\\]+)"/;
const OUR_REPORT = '"generator":"pipedrive-cadence"';

async function readFinishedAt(jsonPath: string): Promise<number | null> {
  let head: string;
  try {
    const fh = await open(jsonPath, 'r');
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
      head = buf.toString('utf8', 0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
  // Only our own reports are runs: a folder someone else put there is never pruned.
  if (!head.includes(OUR_REPORT)) return null;
  const match = FINISHED_AT.exec(head);
  const t = match ? Date.parse(match[1]!) : NaN;
  // Without a readable finish time, the file's time stands in.
  return Number.isNaN(t) ? (await stat(jsonPath)).mtimeMs : t;
}

/** The newest HTML report in a report directory, or null when none was written yet (for `/reports/latest`). */
export function latestReportPath(dir: string): string | null {
  const path = join(dir, LATEST, REPORT_FILES.html);
  return existsSync(path) ? path : null;
}
