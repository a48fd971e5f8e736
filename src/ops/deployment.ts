/**
 * Which companies this deployment runs, and in which time zones: one company from the PIPEDRIVE_*
 * variables, or every enabled entry of CADENCE_COMPANIES_FILE. Companies are grouped by the time zone
 * of their policy (CADENCE_TIME_ZONE overrides all), because "02:00" is 02:00 in each firm's zone: the
 * scheduled service runs one schedule per zone.
 *
 * Start-up problems (bad companies file, bad policy) throw ConfigError listing everything. A company
 * whose token variable is empty does not stop the others: `configFor` throws for it at run time and
 * the runner reports it as that company's failure on every tick until it is set.
 *
 * The environment is parsed and each policy file read once, here; a company's configuration is built from
 * those values (a policy edited while the service runs takes effect at its next start).
 */
import { ConfigError } from '../config/config-error.js';
import { companyConnection, companyPolicyFile, enabledCompanyIds, loadCompaniesFile, loadCompanyConfig, type Company } from '../config/companies.js';
import { configFromParts, configSecrets, connectionOf, envSecretHolder, secretKeysOf, loadPolicyFile, parseEnv, type AppConfig, type ConfigOverrides } from '../config/load-config.js';
import type { Env } from '../config/env-schema.js';
import type { Policy } from '../config/policy-schema.js';

export interface ZoneGroup {
  timeZone: string;
  companies: string[];
}

export interface Deployment {
  mode: 'single' | 'companies-file';
  /** Enabled companies, in file order. */
  companyIds: string[];
  zones: ZoneGroup[];
  /** Settings shared by every company (state URL, schedule, log level…), from the environment. */
  stateUrl: string;
  schedule: string;
  logLevel: AppConfig['logLevel'];
  /** CADENCE_STATUS_ADDR / _TOKEN, CADENCE_WEBHOOK_ADDR, CADENCE_REPORT_DIR, CADENCE_LOCK_TTL_MS and the key ring, parsed. */
  shared: SharedSettings;
  /** Every token and key of the deployment, to register as logger secrets. */
  secrets: string[];
  /** A company's full configuration; throws ConfigError (e.g. its token variable is not set). */
  configFor(companyId: string): AppConfig;
}

/** The deployment-wide settings the runner reads (never the raw environment). */
export interface SharedSettings {
  statusAddr?: string;
  statusToken?: string;
  webhookAddr?: string;
  /** The report folder above the companies' own (the status server's /reports/latest in single mode is the company's). */
  reportDir: string;
  lockTtlMs?: number;
  /** CADENCE_WEBHOOK_QUIET_MS / CADENCE_WEBHOOK_MAX_DELAY_MS: coalescing of webhook events (defaults in ops/webhook-processor.ts). */
  webhookQuietMs?: number;
  webhookMaxDelayMs?: number;
  secretKeys: AppConfig['secretKeys'];
}

function webhookTiming(env: Env): Pick<SharedSettings, 'webhookQuietMs' | 'webhookMaxDelayMs'> {
  return {
    ...(env.CADENCE_WEBHOOK_QUIET_MS !== undefined ? { webhookQuietMs: env.CADENCE_WEBHOOK_QUIET_MS } : {}),
    ...(env.CADENCE_WEBHOOK_MAX_DELAY_MS !== undefined ? { webhookMaxDelayMs: env.CADENCE_WEBHOOK_MAX_DELAY_MS } : {}),
  };
}

function sharedSettings(env: Env): SharedSettings {
  return {
    ...(env.CADENCE_STATUS_ADDR ? { statusAddr: env.CADENCE_STATUS_ADDR } : {}),
    ...(env.CADENCE_STATUS_TOKEN ? { statusToken: env.CADENCE_STATUS_TOKEN } : {}),
    ...(env.CADENCE_WEBHOOK_ADDR ? { webhookAddr: env.CADENCE_WEBHOOK_ADDR } : {}),
    reportDir: env.CADENCE_REPORT_DIR,
    ...(env.CADENCE_LOCK_TTL_MS !== undefined ? { lockTtlMs: env.CADENCE_LOCK_TTL_MS } : {}),
    ...webhookTiming(env),
    secretKeys: secretKeysOf(env),
  };
}

/** The environment is parsed once here; every company's configuration is built from the parsed values. */
export function loadDeployment(vars: Record<string, string | undefined>, overrides: ConfigOverrides = {}): Deployment {
  const env = parseEnv(vars);
  if (!env.CADENCE_COMPANIES_FILE) {
    const config = configFromParts({ env, connection: env, policyFile: overrides.policyFile ?? env.CADENCE_POLICY_FILE, overrides });
    return {
      mode: 'single',
      companyIds: [config.companyId],
      zones: [{ timeZone: config.policy.timeZone, companies: [config.companyId] }],
      stateUrl: config.stateUrl,
      schedule: config.schedule,
      logLevel: config.logLevel,
      shared: {
        ...(config.statusAddr ? { statusAddr: config.statusAddr } : {}),
        ...(config.statusToken ? { statusToken: config.statusToken } : {}),
        ...(config.webhookAddr ? { webhookAddr: config.webhookAddr } : {}),
        reportDir: config.reportDir,
        ...(env.CADENCE_LOCK_TTL_MS !== undefined ? { lockTtlMs: env.CADENCE_LOCK_TTL_MS } : {}),
        ...webhookTiming(env),
        secretKeys: config.secretKeys,
      },
      secrets: configSecrets(config),
      configFor: (companyId) => {
        if (companyId !== config.companyId) throw new ConfigError([`unknown company "${companyId}": this deployment runs "${config.companyId}"`]);
        return config;
      },
    };
  }
  return companiesDeployment(env, vars, env.CADENCE_COMPANIES_FILE, overrides);
}

function companiesDeployment(env: Env, vars: Record<string, string | undefined>, file: string, overrides: ConfigOverrides): Deployment {
  const companies = loadCompaniesFile(file);
  const byId = new Map<string, Company>(companies.map((c) => [c.id, c]));
  const ids = enabledCompanyIds(companies);
  // Read every enabled company's policy now, once (its time zone decides its schedule); tokens are checked per run.
  const problems: string[] = [];
  const zones = new Map<string, string[]>();
  const policies = new Map<string, Policy>();
  const atStart: AppConfig[] = [];
  for (const id of ids) {
    const company = byId.get(id)!;
    try {
      const policyFile = companyPolicyFile(company, env, overrides);
      if (!policies.has(policyFile)) policies.set(policyFile, loadPolicyFile(policyFile));
      const config = loadCompanyConfig(company, vars, { env, policies, overrides, requireToken: false });
      atStart.push(config);
      zones.set(config.policy.timeZone, [...(zones.get(config.policy.timeZone) ?? []), id]);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.issues.map((i) => (i.startsWith(`company "${id}": `) ? i : `company "${id}": ${i}`)));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (ids.length === 0) throw new ConfigError([`${file}: every company is disabled (enabled: false); nothing to run`]);
  return {
    mode: 'companies-file',
    companyIds: ids,
    zones: [...zones].map(([timeZone, list]) => ({ timeZone, companies: list })),
    stateUrl: env.CADENCE_STATE_URL,
    schedule: env.CADENCE_SCHEDULE,
    logLevel: env.LOG_LEVEL,
    shared: sharedSettings(env),
    // Disabled companies' tokens too: censored wherever they might appear.
    secrets: configSecrets(envSecretHolder(env), ...atStart, ...companies.map((c) => ({ pipedrive: connectionOf(env, companyConnection(c, vars, env)) }))),
    configFor: (companyId) => {
      const company = byId.get(companyId);
      if (!company) throw new ConfigError([`unknown company "${companyId}": not in ${file}`]);
      return loadCompanyConfig(company, vars, { env, policies, overrides });
    },
  };
}
