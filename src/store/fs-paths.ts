/**
 * File-system calls on the paths a user configures (CADENCE_REPORT_DIR, the SQLite file of
 * CADENCE_STATE_URL): folders created one level at a time (Node's recursive mkdir loops for minutes on a
 * path under /proc), every call bounded by a timeout (a hung network mount fails the step with a message
 * instead of stalling the night), and errors that name the variable to change.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PRIVATE_DIR_MODE } from './private-fs.js';

/** How long one file-system call on a configured path may take. */
export const FS_TIMEOUT_MS = 30_000;

const PLAIN: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'a part of the path does not exist and cannot be created there',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EISDIR: 'a folder is in the way of a file',
  EEXIST: 'a file is in the way of the folder',
  ETIMEDOUT: 'the file system did not answer in time',
};

/** An error on a configured path, in words: what failed, where, why, and which variable to change. */
export class PathError extends Error {
  override readonly name = 'PathError';
  constructor(
    readonly what: string,
    readonly path: string,
    readonly code: string,
    readonly variable: string,
  ) {
    super(`cannot ${what} "${path}": ${PLAIN[code] ?? code} (${code}); set ${variable} to a path this user can write, or fix that folder`);
  }
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? 'EIO';
}

/** Resolves with the call's result, or rejects with a PathError (ETIMEDOUT) after `ms`. */
export async function withFsTimeout<T>(call: Promise<T>, what: string, path: string, variable: string, ms = FS_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PathError(what, path, 'ETIMEDOUT', variable)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([call, timeout]);
  } catch (err) {
    if (err instanceof PathError) throw err;
    throw new PathError(what, path, codeOf(err), variable);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time; a PathError names `variable`. The folders it
 * creates are owner-only (0700, whatever the umask: they hold client data, private-fs.ts); existing ones are
 * left as they are.
 */
export async function ensureDir(dir: string, variable: string, ms = FS_TIMEOUT_MS, shown = dir): Promise<void> {
  const abs = resolve(dir);
  const existing = await withFsTimeout(
    stat(abs).catch((err: unknown) => (codeOf(err) === 'ENOENT' ? null : Promise.reject(err))),
    'use the folder',
    shown,
    variable,
    ms,
  );
  if (existing) {
    if (!existing.isDirectory()) throw new PathError('use the folder', shown, 'ENOTDIR', variable);
    return;
  }
  const parent = dirname(abs);
  if (parent !== abs) await ensureDir(parent, variable, ms, shown);
  await withFsTimeout(
    mkdir(abs, { mode: PRIVATE_DIR_MODE }).then(
      () => chmod(abs, PRIVATE_DIR_MODE),
      (err: unknown) => (codeOf(err) === 'EEXIST' ? undefined : Promise.reject(err)),
    ),
    'create the folder',
    shown,
    variable,
    ms,
  );
}

/** The synchronous twin of ensureDir, for start-up paths (the SQLite folder). */
export function ensureDirSync(dir: string, variable: string, shown = dir): void {
  const abs = resolve(dir);
  let existing;
  try {
    existing = statSync(abs);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') throw new PathError('use the folder', shown, codeOf(err), variable);
  }
  if (existing) {
    if (!existing.isDirectory()) throw new PathError('use the folder', shown, 'ENOTDIR', variable);
    return;
  }
  const parent = dirname(abs);
  if (parent !== abs) ensureDirSync(parent, variable, shown);
  try {
    mkdirSync(abs, { mode: PRIVATE_DIR_MODE });
    chmodSync(abs, PRIVATE_DIR_MODE);
  } catch (err) {
    if (codeOf(err) !== 'EEXIST') throw new PathError('create the folder', shown, codeOf(err), variable);
  }
}
