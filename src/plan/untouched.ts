/**
 * Whether an activity the worker created is still as it created it. The worker never edits what it
 * created, so an update time beyond the add time (plus a little slack for the server's own bookkeeping)
 * means a person worked on it — and then the worker leaves it alone.
 */
import type { Activity } from '../domain/entities.js';

export const UNTOUCHED_SLACK_MS = 60_000;

export function isUntouched(a: Pick<Activity, 'done' | 'isDeleted' | 'addTime' | 'updateTime'>): boolean {
  return !a.done && !a.isDeleted && Date.parse(a.updateTime) - Date.parse(a.addTime) <= UNTOUCHED_SLACK_MS;
}
