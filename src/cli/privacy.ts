/**
 * `cadence rotate-key` and `cadence purge --company X`: they never call Pipedrive, so they need only
 * the state store, the report folder and the key ring from the environment (no API token).
 */
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { loadCompaniesFile } from '../config/companies.js';
import { configSecrets, envSecretHolder, parseEnv, secretKeysOf, type AppConfig } from '../config/load-config.js';
import type { RunDoctorInput } from '../doctor/run-doctor.js';
import { createLogger, type Logger } from '../log/logger.js';
import { purgeCompany, rotateSecretKey } from '../ops/privacy.js';
import { openStateStore } from '../store/open-state-store.js';
import { encryptedSecretStore, secretKeyring } from '../store/secret-store.js';
import { EXIT } from './errors-to-exit.js';

type Values = Record<string, string | boolean | undefined>;
type Env = Record<string, string | undefined>;

/** The company of a single-company environment: its domain, or the host of its base URL. */
function envCompanyId(env: ReturnType<typeof parseEnv>): string | undefined {
  if (env.PIPEDRIVE_COMPANY_DOMAIN) return env.PIPEDRIVE_COMPANY_DOMAIN;
  return env.PIPEDRIVE_BASE_URL ? new URL(env.PIPEDRIVE_BASE_URL).host : undefined;
}

/** --company, checked by the parser (COMMANDS in commands.ts: letters, digits, . _ : -). */
function companyOption(values: Values): string | undefined {
  return typeof values.company === 'string' ? values.company : undefined;
}

async function withStore<T>(env: Env, fn: (parts: { store: Awaited<ReturnType<typeof openStateStore>>; logger: ReturnType<typeof createLogger>; parsed: ReturnType<typeof parseEnv> }) => Promise<T>): Promise<T> {
  const parsed = parseEnv(env);
  const logger = createLogger({ level: parsed.LOG_LEVEL, secrets: configSecrets(envSecretHolder(parsed)) });
  const store = await openStateStore(parsed.CADENCE_STATE_URL, logger.child({ component: 'store' }));
  try {
    return await fn({ store, logger, parsed });
  } finally {
    await store.close();
  }
}

export async function runRotateKeyCommand(values: Values, env: Env): Promise<number> {
  const only = companyOption(values);
  return withStore(env, async ({ store, logger, parsed }) => {
    const keys = secretKeysOf(parsed);
    if (!keys.current) {
      throw new ConfigError([
        'environment: CADENCE_SECRET_KEY: missing: set it to the NEW key (`openssl rand -base64 32`) and CADENCE_SECRET_KEY_PREVIOUS to the old one, then run rotate-key again',
      ]);
    }
    const companies = only ? [only] : parsed.CADENCE_COMPANIES_FILE ? loadCompaniesFile(parsed.CADENCE_COMPANIES_FILE).map((c) => c.id) : [envCompanyId(parsed)];
    if (companies.some((c) => c === undefined)) {
      throw new ConfigError(['rotate-key: which company? set PIPEDRIVE_COMPANY_DOMAIN (or CADENCE_COMPANIES_FILE), or pass --company <id>']);
    }
    const outcomes = await rotateSecretKey({ store, companies: companies as string[], keyring: secretKeyring(keys), logger });
    for (const o of outcomes) {
      process.stdout.write(
        o.status === 'locked'
          ? `${o.companyId}: not rotated: a run of this company holds its lock; run rotate-key again when it has finished\n`
          : `${o.companyId}: ${o.reencrypted} secret(s) re-encrypted under key ${o.keyId}, ${o.alreadyCurrent} already under it\n`,
      );
    }
    if (outcomes.some((o) => o.status === 'locked')) return EXIT.failed;
    process.stdout.write('Every stored secret is under CADENCE_SECRET_KEY now: CADENCE_SECRET_KEY_PREVIOUS can be removed.\n');
    return EXIT.ok;
  });
}

export async function runPurgeCommand(values: Values, env: Env): Promise<number> {
  const companyId = companyOption(values);
  if (!companyId) throw new ConfigError(['purge: --company <id> is required: the company whose mirror, ledger, history, secrets and reports to erase']);
  if (values.yes !== true) {
    process.stderr.write(
      `purge erases everything kept about company "${companyId}" (mirror, write ledger, audit log, run history, secrets, reports) and cannot be undone.\n` +
        `Run it again with --yes to confirm. Nothing was changed.\n`,
    );
    return EXIT.config;
  }
  return withStore(env, async ({ store, logger, parsed }) => {
    // With a companies file each company reports into a folder of its own (CADENCE_REPORT_DIR/<id>).
    const reportDir = parsed.CADENCE_COMPANIES_FILE ? join(parsed.CADENCE_REPORT_DIR, companyId) : parsed.CADENCE_REPORT_DIR;
    const r = await purgeCompany({ store, companyId, reportDir, logger });
    if (r.status === 'locked') {
      process.stdout.write(`${companyId}: not purged: a run of this company holds its lock; stop the worker or run purge again when it has finished\n`);
      return EXIT.failed;
    }
    process.stdout.write(
      `${companyId}: purged ${r.stateKeys} state key(s) (mirror, checkpoints, ledger, audit log, run history, secrets) and ${r.reportRuns.length} report run(s) from ${r.reportDir}\n` +
        'Remove the company from the companies file (or stop the worker) so that the next run does not sync it again.\n',
    );
    return EXIT.ok;
  });
}

/**
 * For `doctor`: the company's encrypted secret store, open for the duration of `fn`. A store that
 * cannot be opened becomes a failed `secrets` check, not a crash of the whole doctor.
 */
export async function withDoctorSecrets<T>(config: AppConfig, logger: Logger, fn: (secrets: NonNullable<RunDoctorInput['secrets']>) => Promise<T>): Promise<T> {
  const keyConfigured = config.secretKeys.current !== undefined;
  let store: Awaited<ReturnType<typeof openStateStore>>;
  try {
    store = await openStateStore(config.stateUrl, logger.child({ component: 'store' }));
  } catch (err) {
    const message = (err as Error).message;
    return fn({ keyConfigured, store: { inspect: () => Promise.reject(new Error(message)) } });
  }
  try {
    return await fn({ keyConfigured, store: encryptedSecretStore(store, config.companyId, secretKeyring(config.secretKeys)) });
  } finally {
    await store.close();
  }
}
