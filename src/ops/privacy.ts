/**
 * What the firm does with the personal data the worker keeps (LGPD): re-encrypt the stored secrets
 * under a new key (`cadence rotate-key`) and erase one company's data (`cadence purge --company X`).
 * Both take the company's lock (the one the nightly job holds), so they never race a run of it.
 */
import { open, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { newOwnerId, withLock } from '../store/lock.js';
import type { StateStore } from '../store/open-state-store.js';
import { encryptedSecretStore, type ReencryptResult, type SecretKeyring } from '../store/secret-store.js';
import { companyLockName } from './run-all-companies.js';
import { runRecordKey } from './run-record.js';

/** Long enough for a re-encryption or a purge; renewed while it runs. */
const LOCK_TTL_MS = 60_000;

export type LockedOutcome = { companyId: string; status: 'locked' };

export type RotateOutcome = ({ companyId: string; status: 'done' } & ReencryptResult) | LockedOutcome;

/** Re-encrypts every stored secret of each company under the key ring's current key. */
export async function rotateSecretKey(input: {
  store: StateStore;
  companies: readonly string[];
  keyring: SecretKeyring;
  logger: Logger;
}): Promise<RotateOutcome[]> {
  const { store, keyring, logger } = input;
  const out: RotateOutcome[] = [];
  for (const companyId of input.companies) {
    const r = await withLock(store, companyLockName(companyId), { ttlMs: LOCK_TTL_MS, owner: newOwnerId(), logger }, () =>
      encryptedSecretStore(store, companyId, keyring).reencrypt(),
    );
    if (!r.acquired) {
      out.push({ companyId, status: 'locked' });
      continue;
    }
    logger.info({ companyId, keyId: r.value.keyId, reencrypted: r.value.reencrypted, alreadyCurrent: r.value.alreadyCurrent }, 'secrets re-encrypted');
    out.push({ companyId, status: 'done', ...r.value });
  }
  return out;
}

export interface PurgeResult {
  companyId: string;
  status: 'done';
  /** Keys removed from the state store: mirror, checkpoints, reference data, ledger, audit, run history, secrets, run record. */
  stateKeys: number;
  /** Report run folders removed (plus `latest`). */
  reportRuns: string[];
  reportDir: string;
}

/**
 * The company named in a run folder's report.json (its fourth key, so the first kilobytes hold it),
 * or null for a folder that is not a report run.
 */
async function reportCompany(folder: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(join(folder, 'report.json'), 'r');
  } catch {
    return null;
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    const m = /"companyId":("(?:[^"\\]|\\.)*")/.exec(buffer.subarray(0, bytesRead).toString('utf8'));
    return m ? (JSON.parse(m[1]!) as string) : null;
  } finally {
    await handle.close();
  }
}

/**
 * Removes a company's reports from its report folder: every run folder whose report.json names the
 * company, `latest` when it points at (or is a copy of) one of them, and unfinished staging folders.
 * Anything else in the folder is left alone; the folder itself goes when it is left empty.
 */
async function purgeReports(reportDir: string, companyId: string): Promise<string[]> {
  const entries = await readdir(reportDir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const removed: string[] = [];
  for (const e of entries) {
    if (e.name === 'latest' || !e.isDirectory()) continue;
    const path = join(reportDir, e.name);
    if (e.name.startsWith('.') && e.name.includes('.tmp-')) {
      await rm(path, { recursive: true, force: true });
    } else if ((await reportCompany(path)) === companyId) {
      await rm(path, { recursive: true, force: true });
      removed.push(e.name);
    }
  }
  const latest = join(reportDir, 'latest');
  // A symlink to a removed run dangles (reportCompany finds no file); a copy names its company.
  const latestCompany = await reportCompany(latest);
  if (latestCompany === companyId || (latestCompany === null && entries.some((e) => e.name === 'latest'))) {
    await rm(latest, { recursive: true, force: true });
  }
  await rmdir(reportDir).catch(() => undefined);
  return removed.sort();
}

/** Erases one company: its whole state namespace (`c:<id>:*`), its run record and its reports. */
export async function purgeCompany(input: { store: StateStore; companyId: string; reportDir: string; logger: Logger }): Promise<PurgeResult | LockedOutcome> {
  const { store, companyId, reportDir, logger } = input;
  const r = await withLock(store, companyLockName(companyId), { ttlMs: LOCK_TTL_MS, owner: newOwnerId(), logger }, async () => {
    const stateKeys = await store.deleteWithPrefix(`c:${companyId}:`);
    const hadRecord = (await store.keyv.get(runRecordKey(companyId))) !== undefined;
    if (hadRecord) await store.keyv.delete(runRecordKey(companyId));
    const reportRuns = await purgeReports(reportDir, companyId);
    return { stateKeys: stateKeys + (hadRecord ? 1 : 0), reportRuns };
  });
  if (!r.acquired) return { companyId, status: 'locked' };
  logger.info({ companyId, stateKeys: r.value.stateKeys, reportRuns: r.value.reportRuns.length, reportDir }, 'company purged');
  return { companyId, status: 'done', ...r.value, reportDir };
}
