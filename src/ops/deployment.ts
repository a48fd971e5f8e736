/**
 * Which companies this deployment runs, and in which time zones: one company from the PIPEDRIVE_*
 * variables, or every enabled entry of CADENCE_COMPANIES_FILE. Companies are grouped by the time zone
 * of their policy (CADENCE_TIME_ZONE overrides all), because "02:00" is 02:00 in each firm's zone: the
 * scheduled service runs one schedule per zone.
 *
 * Start-up problems (bad companies file, bad policy) throw ConfigError listing everything. A company
 * whose token variable is empty does not stop the others: `configFor` throws for it at run time and
 * the runner reports it as that company's failure on every tick until it is set.
 */
import { ConfigError } from '../config/config-error.js';
import { companyEnv, companyTokens, enabledCompanyIds, loadCompaniesFile, loadCompanyConfig, type Company } from '../config/companies.js';
import { configSecrets, loadConfig, parseEnv, type AppConfig, type ConfigOverrides } from '../config/load-config.js';
import { secretEnvValues } from '../config/env-schema.js';

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
  /** Every token and key of the deployment, to register as logger secrets. */
  secrets: string[];
  /** A company's full configuration; throws ConfigError (e.g. its token variable is not set). */
  configFor(companyId: string): AppConfig;
}

export function loadDeployment(env: Record<string, string | undefined>, overrides: ConfigOverrides = {}): Deployment {
  const shared = parseEnv(env);
  if (!shared.CADENCE_COMPANIES_FILE) {
    const config = loadConfig({ env, overrides });
    return {
      mode: 'single',
      companyIds: [config.companyId],
      zones: [{ timeZone: config.policy.timeZone, companies: [config.companyId] }],
      stateUrl: config.stateUrl,
      schedule: config.schedule,
      logLevel: config.logLevel,
      secrets: configSecrets(config),
      configFor: (companyId) => {
        if (companyId !== config.companyId) throw new ConfigError([`unknown company "${companyId}": this deployment runs "${config.companyId}"`]);
        return config;
      },
    };
  }

  const companies = loadCompaniesFile(shared.CADENCE_COMPANIES_FILE);
  const byId = new Map<string, Company>(companies.map((c) => [c.id, c]));
  const ids = enabledCompanyIds(companies);
  // Read every enabled company's policy now (its time zone decides its schedule); tokens are checked per run.
  const problems: string[] = [];
  const zones = new Map<string, string[]>();
  for (const id of ids) {
    try {
      const config = loadConfig({ env: companyEnv(byId.get(id)!, env), overrides, requireToken: false });
      const list = zones.get(config.policy.timeZone) ?? [];
      list.push(id);
      zones.set(config.policy.timeZone, list);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.issues.map((i) => `company "${id}": ${i}`));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (ids.length === 0) throw new ConfigError([`${shared.CADENCE_COMPANIES_FILE}: every company is disabled (enabled: false); nothing to run`]);
  return {
    mode: 'companies-file',
    companyIds: ids,
    zones: [...zones].map(([timeZone, list]) => ({ timeZone, companies: list })),
    stateUrl: shared.CADENCE_STATE_URL,
    schedule: shared.CADENCE_SCHEDULE,
    logLevel: shared.LOG_LEVEL,
    secrets: [...companyTokens(companies, env), ...secretEnvValues(env)],
    configFor: (companyId) => {
      const company = byId.get(companyId);
      if (!company) throw new ConfigError([`unknown company "${companyId}": not in ${shared.CADENCE_COMPANIES_FILE}`]);
      return loadCompanyConfig(company, env, overrides);
    },
  };
}
