/**
 * The nightly job of `cadence run-once` for the one configured company, composed exactly as run-once
 * composes it (src/app/deployment-runner.ts: environment, logger, state store, then runCompanyJob with
 * `--force`), but without the operations layer's company lock around it.
 *
 * Why: on the 50k-client benchmark company, run-once lost its 60-s lease between the sync and the
 * write-back (the lease renewal timer cannot fire while the mirror load, rules and plan hold the event
 * loop), and stopped before writing. The benchmark measures the job itself and reports the longest
 * event-loop stall next to it (bench/rss-hook.ts), which is what decides whether the lease holds.
 *
 *   CADENCE_* / PIPEDRIVE_* in the environment; node --import tsx bench/job-child.ts
 */
import { composeDeployment } from '../src/app/deployment-runner.js';
import { formatJobOutcome } from '../src/cli/format-outcome.js';

const parts = await composeDeployment(process.env, {}, { force: true });
try {
  const [companyId] = parts.deployment.companyIds;
  const outcome = await parts.runCompany(companyId!, new AbortController().signal);
  process.stdout.write(formatJobOutcome(outcome));
  process.exitCode = outcome.status === 'failed' ? 1 : 0;
} finally {
  await parts.close();
}
