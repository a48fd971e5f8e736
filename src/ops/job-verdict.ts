/**
 * Classifies the nightly job's outcome for the run record: the job reports a failure by returning
 * `status: 'failed'` with the error's name and message (src/job/run-company-job.ts) instead of
 * throwing. A 'partial' run (budget stop, some writes failed) is not a failed run: its warnings are
 * in the report, and counting it as a failure would page someone for a normal budget stop.
 */
import type { JobOutcome } from '../job/run-company-job.js';
import { describeFailure } from './describe-failure.js';
import type { Verdict } from './run-all-companies.js';

export function jobOutcomeVerdict(outcome: Pick<JobOutcome, 'status' | 'error'>): Verdict {
  if (outcome.status !== 'failed') return { ok: true };
  const error = Object.assign(new Error(outcome.error?.message ?? 'the job failed without an error message'), { name: outcome.error?.name ?? 'Error' });
  const { kind, reason } = describeFailure(error);
  return { ok: false, kind, reason };
}
