/**
 * run-once and schedule: the deployment's composition root handed to the operations layer, which owns
 * locks, ticks and shutdown (src/ops).
 */
import { composeDeployment, formatRunSummary, type DeploymentParts } from '../app/deployment-runner.js';
import { clientFor } from '../app/compose.js';
import { checkReportFolder, checkSchedule, checkStateStore } from '../app/preflight.js';
import type { DoctorCheck } from '../doctor/run-doctor.js';
import { PipedriveAuthError, PipedriveForbiddenError } from '../pipedrive/errors.js';
import { runOnce } from '../ops/run-once.js';
import { startScheduledService } from '../ops/run-scheduled.js';
import { jobOutcomeVerdict } from '../ops/job-verdict.js';
import { opsStoreFor } from '../ops/ops-store.js';
import { formatJobOutcome } from './format-outcome.js';
import type { RunSummary } from '../ops/run-all-companies.js';
import type { JobOutcome } from '../job/run-company-job.js';
import type { Deployment } from '../ops/deployment.js';
import { EXIT } from './errors-to-exit.js';

type Values = Record<string, string | boolean | undefined>;

/** CADENCE_LOCK_TTL_MS, parsed with the rest of the environment by loadDeployment. */
function lockTtl(deployment: Deployment): { lockTtlMs?: number } {
  return deployment.shared.lockTtlMs !== undefined ? { lockTtlMs: deployment.shared.lockTtlMs } : {};
}

export async function runOnceCommand(values: Values, env: Record<string, string | undefined>): Promise<number> {
  const parts = await composeDeployment(
    env,
    { ...(typeof values.policy === 'string' ? { policyFile: values.policy } : {}), ...(values['dry-run'] === true ? { dryRun: true } : {}) },
    { force: values.force === true, onFirstApply: (summary) => void process.stdout.write(`First apply against this company. Plan summary:\n${summary}\n`) },
  );
  await parts.startStatus();
  const { exitCode, summary } = await runOnce({
    companies: parts.deployment.companyIds,
    runCompany: (id, signal) => parts.runCompany(id, signal),
    store: opsStoreFor(parts.store),
    logger: parts.logger,
    classify: jobOutcomeVerdict,
    ...lockTtl(parts.deployment),
    onCompanyFinished: (r) => {
      parts.observe(r);
      if (r.outcome) process.stdout.write(`\n== ${r.companyId}\n${formatJobOutcome(r.outcome)}`);
    },
    onLockWait: (w) => void process.stderr.write(`cadence: ${w.message}\n`),
    close: () => parts.close(),
  });
  process.stdout.write(`\n${formatRunSummary(summary)}\n`);
  return nightExitCode(exitCode, summary);
}

/**
 * Before the scheduler waits for its first tick: the state store answers, the schedule parses for every
 * zone, each company's report folder can be written and Pipedrive accepts its token. Returns the exit code
 * to stop with (the problems printed and logged), or null to go on. A company whose token variable is not
 * set, or a Pipedrive that does not answer right now, is logged and left to its runs.
 */
async function scheduleStartChecks(parts: DeploymentParts): Promise<number | null> {
  const { deployment, logger } = parts;
  const checks: DoctorCheck[] = [await checkStateStore(deployment.stateUrl, logger, parts.store)];
  for (const zone of deployment.zones) checks.push(checkSchedule(deployment.schedule, zone.timeZone));
  let credentials = false;
  for (const id of deployment.companyIds) {
    let config;
    try {
      config = deployment.configFor(id);
    } catch (err) {
      logger.warn({ companyId: id, reason: (err as Error).message }, `company ${id} cannot run until its configuration is fixed`);
      continue;
    }
    checks.push(await checkReportFolder(config.reportDir));
    try {
      await clientFor(config, logger).getMe();
    } catch (err) {
      if (err instanceof PipedriveAuthError || err instanceof PipedriveForbiddenError) {
        credentials = true;
        checks.push({ id: `token:${id}`, status: 'fail', detail: `${deployment.companyIds.length > 1 ? `company ${id}: ` : ''}${err.message}`, fix: 'set a valid API token, then start the scheduler again' });
      } else logger.warn({ companyId: id, reason: (err as Error).message }, 'Pipedrive did not answer the start-up check; the runs will try again');
    }
  }
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length === 0) return null;
  for (const c of failed) {
    logger.error({ check: c.id }, c.detail);
    process.stderr.write(`cadence schedule: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}\n`);
  }
  if (failed.every((c) => c.id.startsWith('token:'))) return credentials ? EXIT.auth : EXIT.failed;
  return failed.some((c) => c.id === 'schedule') ? EXIT.config : EXIT.failed;
}

/**
 * The night's exit code with the meaning it has for every command (README "Exit codes"): any failure → 1;
 * companies that failed only because Pipedrive refused their token → 3; a daily-budget stop → 4 (those three
 * from runOnceExitCode); then a plan refused by the write cap → 5; work done but a report not written → 6
 * (the reason on stderr).
 */
export function nightExitCode(exitCode: number, summary: RunSummary<JobOutcome>): number {
  // runOnceExitCode (src/ops/run-once.ts) has already decided 1, 3 and 4 (or a signal its own code).
  if (exitCode !== EXIT.ok) return exitCode;
  if (summary.results.some((r) => r.outcome?.apply?.refused)) return EXIT.refused;
  const reportMissing = summary.results.filter((r) => r.outcome?.reportError);
  for (const r of reportMissing) process.stderr.write(`cadence: ${r.companyId}: report not written: ${r.outcome!.reportError}\n`);
  return reportMissing.length > 0 ? EXIT.report : EXIT.ok;
}

export async function runScheduleCommand(values: Values, env: Record<string, string | undefined>): Promise<number> {
  const parts = await composeDeployment(env, typeof values.policy === 'string' ? { policyFile: values.policy } : {});
  // Fail at start, with the reason, rather than at 02:00: the same checks as `cadence doctor`.
  const refused = await scheduleStartChecks(parts);
  if (refused !== null) {
    await parts.close();
    return refused;
  }
  await parts.startStatus();
  await parts.startWebhooks();
  const service = startScheduledService({
    zones: parts.deployment.zones,
    schedule: parts.deployment.schedule,
    runCompany: (id, signal) => parts.runCompany(id, signal),
    store: opsStoreFor(parts.store),
    logger: parts.logger,
    classify: jobOutcomeVerdict,
    ...lockTtl(parts.deployment),
    onCompanyFinished: (r) => parts.observe(r),
    onRunFinished: (s) => parts.logger.info({ counts: s.counts, slot: s.slot }, 'tick finished'),
    close: () => parts.close(),
  });
  parts.logger.info({ next: service.scheduler.nextRun()?.toISOString?.() ?? null, schedule: parts.deployment.schedule, zones: parts.deployment.zones }, 'scheduler started');
  return service.exited;
}
