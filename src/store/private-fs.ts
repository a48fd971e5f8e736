/**
 * Owner-only files and folders, whatever the umask: the mirror of the CRM and the reports hold client
 * names, people and revenue, so on a shared host nobody but the worker's user may read them. Folders
 * are 0700 and files 0600. A umask can only remove permission bits, so creating with these modes is
 * enough for new paths; existing files the worker owns (the state file) are tightened explicitly.
 * Only folders this module creates are changed: an existing parent (/tmp, /var/lib) is left alone.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** The folders from `first` (the first one mkdir created) down to `target`. */
function createdChain(first: string | undefined, target: string): string[] {
  if (first === undefined) return [];
  const rest = relative(resolve(first), resolve(target));
  const out = [resolve(first)];
  if (rest === '') return out;
  let at = resolve(first);
  for (const part of rest.split(sep)) {
    at = resolve(at, part);
    out.push(at);
  }
  return out;
}

/** Creates `path` (and missing parents) as 0700; returns the folders it created. */
export async function mkdirPrivate(path: string): Promise<string[]> {
  const created = createdChain(await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE }), path);
  for (const d of created) await chmod(d, PRIVATE_DIR_MODE);
  return created;
}

export function mkdirPrivateSync(path: string): string[] {
  const created = createdChain(mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE }), path);
  for (const d of created) chmodSync(d, PRIVATE_DIR_MODE);
  return created;
}

/**
 * The SQLite state file: its folder created 0700, the file itself created (or tightened) to 0600
 * before SQLite opens it. SQLite gives its -wal and -shm files the mode of the database file.
 */
export function preparePrivateFile(file: string): void {
  mkdirPrivateSync(dirname(file));
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
  for (const side of [`${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (existsSync(side)) chmodSync(side, PRIVATE_FILE_MODE);
  }
}
