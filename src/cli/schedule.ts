/** run-once and schedule: wired to the operations layer (src/ops). */
import { loadConfig } from '../config/load-config.js';
import { composeCompany, loggerFor } from '../app/compose.js';
import { runCompanyJob } from '../job/run-company-job.js';
import { formatJobOutcome } from './format-outcome.js';
import { EXIT } from './errors-to-exit.js';

type Values = Record<string, string | boolean | undefined>;

export async function runOnceCommand(values: Values, env: Record<string, string | undefined>): Promise<number> {
  const config = loadConfig({ env, overrides: { ...(values['dry-run'] === true ? { dryRun: true } : {}) } });
  const logger = loggerFor(config);
  const parts = await composeCompany(config, logger);
  try {
    const outcome = await runCompanyJob(parts, { force: values.force === true });
    process.stdout.write(formatJobOutcome(outcome));
    return outcome.status === 'failed' ? EXIT.failed : EXIT.ok;
  } finally {
    await parts.close();
  }
}

export async function runScheduleCommand(_values: Values, _env: Record<string, string | undefined>): Promise<number> {
  throw new Error('schedule: not wired yet');
}
