/**
 * The commands: each maps its flags onto the configuration, composes the parts it needs and prints.
 * Human output goes to stdout; logs (pino, JSON) go to stderr.
 */
import { loadConfig, type AppConfig, type ConfigOverrides } from '../config/load-config.js';
import { LOCALES } from '../i18n/locales.js';
import { composeCompany, loggerFor, commandClient } from '../app/compose.js';
import { runCompanyJob, type JobOutcome } from '../job/run-company-job.js';
import { formatJobOutcome, formatSyncSummary } from './format-outcome.js';
import { createProgress, jobProgress, type ProgressSink } from './progress.js';
import { EXIT } from './errors-to-exit.js';
import { setFatalLogger } from '../ops/last-defence.js';
import { runSync } from '../sync/run-sync.js';
import { runSetup, formatSetupReport } from '../setup/run-setup.js';
import { runDoctor, formatDoctorReport } from '../doctor/run-doctor.js';
import { formatPlanTable, formatPlanSummary } from '../plan/format-plan.js';
import { runDemo } from './demo.js';
import { runScheduleCommand, runOnceCommand } from './schedule.js';
import { runPurgeCommand, runRotateKeyCommand, withDoctorSecrets } from './privacy.js';
import { preflightChecks } from '../app/preflight.js';
import { checkWebhookSetup, runWebhookSetup, withWebhookChecks } from './webhooks.js';
import type { CompanyParts } from '../job/company-parts.js';
import { systemClock } from '../domain/clock.js';

type Env = Record<string, string | undefined>;

/**
 * One option of a command, declared once: the CLI parser (src/cli/program.ts) builds the parsing,
 * the validation and `--help` from it, and README's command table is checked against it.
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** What the option does, for `cadence <command> --help`. */
  help: string;
  /** The value's placeholder in the help (`<file>`); string options only. */
  arg?: string;
  /** The only values accepted. */
  choices?: readonly string[];
  /** What is wrong with a value (e.g. "Expected a whole number ≥ 1."), or null when it is fine. */
  check?: (value: string) => string | null;
  /** Options this one cannot be given with. */
  conflicts?: readonly string[];
}

/** Parsed and validated options, by option name (`values['dry-run'] === true`, `values.policy === 'x.yaml'`). */
export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  options: Record<string, OptionSpec>;
  run(values: Values, env: Env): Promise<number>;
}

const COMPANY_ID = /^[A-Za-z0-9._:-]+$/;
const RECONCILE = ['auto', 'force', 'skip'] as const;

/** Each option that several commands share, defined once. */
const OPTION = {
  policy: { type: 'string', arg: '<file>', help: 'the policy file (default CADENCE_POLICY_FILE, else config/policy.yaml)' },
  'no-sync': { type: 'boolean', help: 'work from the state store as it is, without pulling changes from Pipedrive first' },
  'dry-run': { type: 'boolean', help: 'plan and report without writing to Pipedrive (same as CADENCE_DRY_RUN=true)' },
  'max-writes': {
    type: 'string',
    arg: '<N>',
    help: 'refuse a plan with more than N writes (default CADENCE_MAX_WRITES, else writes.maxWrites)',
    check: (v) => (Number.isInteger(Number(v)) && Number(v) >= 1 ? null : 'Expected a whole number ≥ 1.'),
  },
  force: { type: 'boolean', help: 'apply a plan larger than the write cap' },
  company: {
    type: 'string',
    arg: '<id>',
    help: 'only this company of the companies file (default: every company)',
    check: (v) => (COMPANY_ID.test(v) ? null : 'Expected a company id (letters, digits, . _ : -).'),
  },
} as const satisfies Record<string, OptionSpec>;

function overridesOf(values: Values): ConfigOverrides {
  const o: ConfigOverrides = {};
  if (typeof values.policy === 'string') o.policyFile = values.policy;
  if (values['dry-run'] === true) o.dryRun = true;
  // Checked by the parser (OPTION['max-writes'].check): a whole number ≥ 1.
  if (typeof values['max-writes'] === 'string') o.maxWrites = Number(values['max-writes']);
  return o;
}

function configOf(values: Values, env: Env): AppConfig {
  return loadConfig({ env, overrides: overridesOf(values) });
}

function progressFor(parts: Pick<CompanyParts, 'logger'>): ProgressSink {
  return createProgress(process.stderr, parts.logger);
}

async function withCompany<T>(values: Values, env: Env, fn: (parts: CompanyParts) => Promise<T>): Promise<T> {
  const config = configOf(values, env);
  const logger = loggerFor(config);
  setFatalLogger(logger);
  const parts = await composeCompany(config, logger);
  try {
    return await fn(parts);
  } finally {
    await parts.close();
  }
}

function printFirstApply(summary: string): void {
  process.stdout.write(`First apply against this company. Plan summary:\n${summary}\n`);
}

function exitFor(outcome: JobOutcome): number {
  if (outcome.status === 'ok') return EXIT.ok;
  // A fatal error inside apply stops it early (partial outcome) rather than failing the job: same exit code.
  const cause = outcome.error?.kind ?? outcome.apply?.stoppedBy;
  if (cause === 'auth' || cause === 'forbidden') return EXIT.auth;
  if (cause === 'budget' || outcome.sync?.status === 'stopped-budget') return EXIT.budget;
  if (outcome.apply?.refused) return EXIT.refused;
  if (outcome.status === 'failed') return EXIT.failed;
  return outcome.reportError ? EXIT.report : EXIT.ok;
}

export const COMMANDS = {
  sync: {
    summary: 'pull what changed since the last checkpoint into the state store',
    options: {
      policy: OPTION.policy,
      full: { type: 'boolean', help: 'pull everything again, ignoring the checkpoint' },
      reconcile: { type: 'string', arg: '<mode>', choices: RECONCILE, help: 'the weekly id reconciliation that finds deleted and merged records (default auto)' },
    },
    async run(values, env) {
      const reconcile = (values.reconcile ?? 'auto') as (typeof RECONCILE)[number];
      return withCompany(values, env, async (parts) => {
        const progress = progressFor(parts);
        const summary = await runSync({
          client: parts.client,
          companyState: parts.state,
          logger: parts.logger,
          clock: systemClock(),
          reconcile,
          reconcileEveryDays: parts.config.reconcileEveryDays,
          chains: parts.config.syncChains,
          full: values.full === true,
          onProgress: jobProgress(progress).onSyncProgress,
        });
        progress.done();
        process.stdout.write(formatSyncSummary(summary));
        return summary.status === 'ok' ? EXIT.ok : EXIT.budget;
      });
    },
  },
  plan: {
    summary: 'print the write-backs the policy asks for; changes nothing in Pipedrive',
    options: { policy: OPTION.policy, json: { type: 'boolean', help: 'print the plan as JSON' }, 'no-sync': OPTION['no-sync'] },
    async run(values, env) {
      return withCompany(values, env, async (parts) => {
        const progress = progressFor(parts);
        const outcome = await runCompanyJob(parts, { steps: { sync: values['no-sync'] !== true, apply: false, report: false }, ...jobProgress(progress) });
        progress.done();
        if (outcome.error) throw Object.assign(new Error(outcome.error.message), { name: outcome.error.name, kind: outcome.error.kind });
        if (!outcome.plan) return EXIT.failed;
        if (values.json === true) process.stdout.write(`${JSON.stringify(outcome.plan, null, 2)}\n`);
        else if (process.stdout.isTTY) process.stdout.write(`${formatPlanTable(outcome.plan, { width: process.stdout.columns ?? 160 })}\n${formatPlanSummary(outcome.plan)}\n`);
        else process.stdout.write(`${formatPlanSummary(outcome.plan)}\n${formatPlanTable(outcome.plan)}\n`);
        return EXIT.ok;
      });
    },
  },
  apply: {
    summary: 'execute the plan idempotently (sync first unless --no-sync)',
    options: { policy: OPTION.policy, 'dry-run': OPTION['dry-run'], 'max-writes': OPTION['max-writes'], force: OPTION.force, 'no-sync': OPTION['no-sync'] },
    async run(values, env) {
      return withCompany(values, env, async (parts) => {
        const progress = progressFor(parts);
        const outcome = await runCompanyJob(parts, {
          steps: { sync: values['no-sync'] !== true, apply: true, report: false },
          force: values.force === true,
          onFirstApply: (summary) => printFirstApply(summary),
          ...jobProgress(progress),
        });
        progress.done();
        process.stdout.write(formatJobOutcome(outcome));
        return exitFor(outcome);
      });
    },
  },
  report: {
    summary: 'write the HTML/CSV/JSON reports (sync first unless --no-sync); writes nothing to Pipedrive',
    options: { policy: OPTION.policy, 'no-sync': OPTION['no-sync'] },
    async run(values, env) {
      return withCompany(values, env, async (parts) => {
        const progress = progressFor(parts);
        const outcome = await runCompanyJob(parts, { steps: { sync: values['no-sync'] !== true, apply: false, report: true }, ...jobProgress(progress) });
        progress.done();
        process.stdout.write(formatJobOutcome(outcome));
        return exitFor(outcome);
      });
    },
  },
  setup: {
    summary: 'create the flag fields and activity types the policy names, when missing (--webhooks URL: subscribe to Pipedrive webhooks)',
    options: {
      policy: OPTION.policy,
      'dry-run': { type: 'boolean', help: 'say what would be created without creating it' },
      webhooks: { type: 'string', arg: '<public URL>', help: 'also subscribe to Pipedrive webhooks delivering to this URL (needs CADENCE_SECRET_KEY)' },
      'remove-webhooks': { type: 'boolean', help: "remove this worker's webhook subscriptions (others are left alone)", conflicts: ['webhooks'] },
    },
    async run(values, env) {
      const remove = values['remove-webhooks'] === true;
      if (remove || typeof values.webhooks === 'string') {
        const url = typeof values.webhooks === 'string' ? values.webhooks : undefined;
        return withCompany(values, env, async (parts) => {
          if (!remove) checkWebhookSetup(url, parts.config, values['dry-run'] === true);
          if (!remove) {
            const report = await runSetup({ client: parts.client, policy: parts.config.policy, logger: parts.logger, dryRun: values['dry-run'] === true });
            process.stdout.write(`${formatSetupReport(report)}\n\n`);
            if (report.problems > 0) return EXIT.failed;
          }
          await runWebhookSetup(parts, { ...(url ? { url } : {}), remove, dryRun: values['dry-run'] === true });
          return EXIT.ok;
        });
      }
      const config = configOf(values, env);
      const logger = loggerFor(config);
      const { client, close } = await commandClient(config, logger);
      const report = await runSetup({ client, policy: config.policy, logger, dryRun: values['dry-run'] === true }).finally(close);
      process.stdout.write(`${formatSetupReport(report)}\n`);
      return report.problems > 0 ? EXIT.failed : EXIT.ok;
    },
  },
  doctor: {
    summary: 'check token, permissions, fields, users, activity types and time zone; say what to fix',
    options: { policy: OPTION.policy },
    async run(values, env) {
      const config = configOf(values, env);
      const logger = loggerFor(config);
      const { client, close } = await commandClient(config, logger);
      const report = await withDoctorSecrets(config, logger, async (secrets) => {
        const base = await runDoctor({ client, policy: config.policy, logger, secrets });
        return withWebhookChecks(base, { client, config, logger, inspectSecrets: () => secrets.store.inspect() });
      }).finally(close);
      // Beside Pipedrive: the state store answers, the schedule parses, the report folder can be written.
      for (const check of await preflightChecks(config, logger.child({ component: 'store' }))) {
        report.checks.push(check);
        if (check.status !== 'ok') logger[check.status === 'fail' ? 'error' : 'warn']({ check: check.id, status: check.status }, check.detail);
      }
      report.ok = report.checks.every((c) => c.status !== 'fail');
      process.stdout.write(`${formatDoctorReport(report)}\n`);
      if (report.credentialsRejected) return EXIT.auth;
      return report.ok ? EXIT.ok : EXIT.failed;
    },
  },
  'run-once': {
    summary: 'the nightly job once for every configured company (cron / Kubernetes CronJob)',
    options: { policy: OPTION.policy, force: OPTION.force, 'dry-run': OPTION['dry-run'] },
    run: (values, env) => runOnceCommand(values, env),
  },
  schedule: {
    summary: 'run the nightly job on CADENCE_SCHEDULE in the firm time zone, with the status server',
    options: { policy: OPTION.policy },
    run: (values, env) => runScheduleCommand(values, env),
  },
  demo: {
    summary: 'start the built-in Pipedrive sandbox with demo data and run setup + the nightly job against it',
    options: {
      policy: OPTION.policy,
      locale: { type: 'string', arg: '<locale>', choices: LOCALES, help: 'the language of the texts and the report (default pt-BR)' },
      'keep-running': { type: 'boolean', help: 'keep the sandbox running afterwards, to look around in it' },
      'report-dir': { type: 'string', arg: '<dir>', help: 'where the reports go (default reports/demo)' },
    },
    run: (values, env) => runDemo(values, env),
  },
  'rotate-key': {
    summary: 're-encrypt the stored secrets under CADENCE_SECRET_KEY (old key in CADENCE_SECRET_KEY_PREVIOUS)',
    options: { company: OPTION.company },
    run: (values, env) => runRotateKeyCommand(values, env),
  },
  purge: {
    summary: "erase a company's mirror, ledger, history, secrets and reports (--company X --yes)",
    options: {
      company: { ...OPTION.company, help: 'the company to erase (required)' },
      yes: { type: 'boolean', help: 'really erase; without it nothing is changed (exit 2)' },
    },
    run: (values, env) => runPurgeCommand(values, env),
  },
} satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;

/** Printed after every help text. */
export const EXIT_CODES_LINE = 'Exit codes: 0 ok, 1 failed, 2 configuration, 3 credentials, 4 daily budget, 5 write cap, 6 report not written, 70 internal error, 130 interrupted.';
