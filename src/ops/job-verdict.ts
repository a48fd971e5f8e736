/**
 * Classifies the nightly job's outcome for the run record: the job reports a failure by returning
 * `status: 'failed'` with the error's name and message (src/job/run-company-job.ts) instead of
 * throwing. A run the daily API budget stopped (sync stopped or skipped, or the write-back stopped, with
 * its checkpoint kept) is neither a failure nor a complete night: it is a budget stop, recorded as such
 * (`stopped-budget`, exit 4) without counting as a failure that would page someone. A write-back stopped
 * by rejected credentials is the credentials failure it is. Other partial runs (some writes failed, the
 * write cap refused the plan) keep their warnings in the report and count as succeeded.
 */
import type { JobOutcome } from '../job/run-company-job.js';
import { describeFailure } from './describe-failure.js';
import type { Verdict } from './run-all-companies.js';

const CREDENTIALS: ReadonlySet<string> = new Set(['auth', 'forbidden']);

export function jobOutcomeVerdict(outcome: Pick<JobOutcome, 'status' | 'error'> & Partial<Pick<JobOutcome, 'sync' | 'apply'>>): Verdict {
  if (outcome.status === 'failed') {
    // The outcome carries the error as data, its kind with it (src/domain/errors.ts).
    const error = Object.assign(new Error(outcome.error?.message ?? 'the job failed without an error message'), { name: outcome.error?.name ?? 'Error', kind: outcome.error?.kind ?? 'error' });
    const { kind, reason } = describeFailure(error);
    return { ok: false, kind, reason };
  }
  const apply = outcome.apply;
  if (apply?.stoppedBy && CREDENTIALS.has(apply.stoppedBy)) {
    const { kind, reason } = describeFailure(Object.assign(new Error(apply.aborted ?? 'the write-back stopped: credentials rejected'), { kind: apply.stoppedBy }));
    return { ok: false, kind, reason };
  }
  const sync = outcome.sync;
  if (sync && sync.status !== 'ok') return { ok: true, budgetStop: `sync ${sync.status}: ${sync.stopReason ?? 'daily API budget'}` };
  if (apply?.stoppedBy === 'budget') return { ok: true, budgetStop: `write-back stopped: ${apply.aborted ?? 'daily API budget spent'}` };
  return { ok: true };
}
