/**
 * run-once and schedule: the deployment's composition root handed to the operations layer, which owns
 * locks, ticks and shutdown (src/ops).
 */
import { composeDeployment, formatRunSummary } from '../app/deployment-runner.js';
import { runOnce } from '../ops/run-once.js';
import { startScheduledService } from '../ops/run-scheduled.js';
import { jobOutcomeVerdict } from '../ops/job-verdict.js';
import { opsStoreFor } from '../ops/ops-store.js';
import { formatJobOutcome } from './format-outcome.js';

type Values = Record<string, string | boolean | undefined>;

/** CADENCE_LOCK_TTL_MS (validated with the rest of the environment by loadDeployment). */
function lockTtl(env: Record<string, string | undefined>): { lockTtlMs?: number } {
  return env.CADENCE_LOCK_TTL_MS ? { lockTtlMs: Number(env.CADENCE_LOCK_TTL_MS) } : {};
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
    ...lockTtl(env),
    onCompanyFinished: (r) => {
      parts.observe(r);
      if (r.outcome) process.stdout.write(`\n== ${r.companyId}\n${formatJobOutcome(r.outcome)}`);
    },
    close: () => parts.close(),
  });
  process.stdout.write(`\n${formatRunSummary(summary)}\n`);
  return exitCode;
}

export async function runScheduleCommand(values: Values, env: Record<string, string | undefined>): Promise<number> {
  const parts = await composeDeployment(env, typeof values.policy === 'string' ? { policyFile: values.policy } : {});
  await parts.startStatus();
  await parts.startWebhooks();
  const service = startScheduledService({
    zones: parts.deployment.zones,
    schedule: parts.deployment.schedule,
    runCompany: (id, signal) => parts.runCompany(id, signal),
    store: opsStoreFor(parts.store),
    logger: parts.logger,
    classify: jobOutcomeVerdict,
    ...lockTtl(env),
    onCompanyFinished: (r) => parts.observe(r),
    onRunFinished: (s) => parts.logger.info({ counts: s.counts, slot: s.slot }, 'tick finished'),
    close: () => parts.close(),
  });
  parts.logger.info({ next: service.scheduler.nextRun()?.toISOString?.() ?? null, schedule: parts.deployment.schedule, zones: parts.deployment.zones }, 'scheduler started');
  return service.exited;
}
