/**
 * Job module for ops-worker.ts that runs the real nightly job (src/job) for each company on the
 * worker's open state store, configured from the worker's environment exactly like `cadence schedule`
 * (CADENCE_COMPANIES_FILE, or the PIPEDRIVE_* variables for one company). Use it with
 *   OPS_JOB_MODULE=test/e2e/support/ops-real-job.ts OPS_COMPANIES=<ids>
 * for end-to-end tests of the real job under the operations layer (e.g. SIGTERM mid-apply).
 */
import { composeCompany } from '../../../src/app/compose.js';
import { runCompanyJob, type JobOutcome } from '../../../src/job/run-company-job.js';
import { loadDeployment } from '../../../src/ops/deployment.js';
import { jobOutcomeVerdict } from '../../../src/ops/job-verdict.js';
import type { Verdict } from '../../../src/ops/run-all-companies.js';
import type { OpsJobContext } from './ops-worker.js';

export function createJob({ store, logger, env, emit }: OpsJobContext) {
  const deployment = loadDeployment(env);
  return async (companyId: string, signal: AbortSignal): Promise<JobOutcome> => {
    const config = deployment.configFor(companyId);
    const parts = await composeCompany(config, logger.child({ companyId }), store);
    emit({ event: 'job-start', companyId });
    try {
      const outcome = await runCompanyJob(parts, {
        signal,
        onApplyProgress: (p) => emit({ event: 'apply-progress', companyId, done: p.done, total: p.total }),
      });
      emit({ event: 'job-end', companyId, status: outcome.status, writes: outcome.apply?.counts });
      return outcome;
    } finally {
      await parts.close();
    }
  };
}

export const classify = (outcome: unknown): Verdict => jobOutcomeVerdict(outcome as JobOutcome);
