/**
 * Fail early: what `cadence doctor` checks beside Pipedrive, and what `cadence schedule` checks before it
 * waits for its first tick — the state store answers (connect, write, read, delete a probe key), the
 * schedule parses, the report folder can be written. Each check says what it found and what to fix.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../config/load-config.js';
import type { DoctorCheck } from '../doctor/run-doctor.js';
import type { Logger } from '../log/logger.js';
import { nextRunAfter, parseSchedule } from '../ops/next-run.js';
import { ensureDir, withFsTimeout } from '../store/fs-paths.js';
import { openStateStore, type StateStore } from '../store/open-state-store.js';
import { dateNow, systemClock, type Clock } from '../domain/clock.js';

/** Connect, write, read back and delete a probe key. `store`: an already open store (else one is opened and closed). */
export async function checkStateStore(stateUrl: string, logger: Logger, store?: StateStore, clock: Pick<Clock, 'now'> = systemClock()): Promise<DoctorCheck> {
  const fix = 'check CADENCE_STATE_URL and that the store is running and writable';
  let opened: StateStore | undefined;
  try {
    const s = store ?? (opened = await openStateStore(stateUrl, logger));
    const key = `__probe__:${randomBytes(4).toString('hex')}`;
    const value = { probe: key, at: dateNow(clock).toISOString() };
    await s.keyv.set(key, value);
    const back = (await s.keyv.get(key)) as typeof value | undefined;
    await s.keyv.delete(key);
    if (back?.probe !== key) return { id: 'state-store', status: 'fail', detail: `the ${s.kind} state store accepted a write but returned ${back === undefined ? 'nothing' : 'something else'} for it`, fix };
    return { id: 'state-store', status: 'ok', detail: `${s.kind} state store answers (write, read and delete of a probe key)` };
  } catch (err) {
    return { id: 'state-store', status: 'fail', detail: (err as Error).message, fix };
  } finally {
    await opened?.close().catch(() => undefined);
  }
}

export function checkSchedule(schedule: string, timeZone: string, now: Date = dateNow(systemClock())): DoctorCheck {
  try {
    const next = nextRunAfter(parseSchedule(schedule), timeZone, now);
    return { id: 'schedule', status: 'ok', detail: `schedule "${schedule}" (${timeZone}): next run ${next.toISOString()}` };
  } catch (err) {
    return { id: 'schedule', status: 'fail', detail: (err as Error).message, fix: 'set CADENCE_SCHEDULE to a cron expression, e.g. "0 2 * * *" for 02:00 every night' };
  }
}

/** Creates the folder when missing and writes, then removes, a probe file in it. */
export async function checkReportFolder(reportDir: string): Promise<DoctorCheck> {
  try {
    await ensureDir(reportDir, 'CADENCE_REPORT_DIR');
    const probe = join(reportDir, `.probe-${process.pid}-${randomBytes(3).toString('hex')}`);
    await withFsTimeout(writeFile(probe, 'probe'), 'write to the report folder', reportDir, 'CADENCE_REPORT_DIR');
    await withFsTimeout(rm(probe, { force: true }), 'write to the report folder', reportDir, 'CADENCE_REPORT_DIR');
    return { id: 'report-folder', status: 'ok', detail: `report folder ${reportDir} is writable` };
  } catch (err) {
    return { id: 'report-folder', status: 'fail', detail: (err as Error).message, fix: 'set CADENCE_REPORT_DIR to a folder this user can write' };
  }
}

/** The three local checks for one company's configuration. */
export async function preflightChecks(config: Pick<AppConfig, 'stateUrl' | 'schedule' | 'reportDir' | 'policy'>, logger: Logger, store?: StateStore): Promise<DoctorCheck[]> {
  return [await checkStateStore(config.stateUrl, logger, store), checkSchedule(config.schedule, config.policy.timeZone), await checkReportFolder(config.reportDir)];
}
