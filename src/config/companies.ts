/**
 * The companies file: several Pipedrive companies in one deployment (CADENCE_COMPANIES_FILE).
 * Each entry names the environment variable that holds its token, never the token itself, so the
 * file can live in a ConfigMap or a repository while tokens stay in secrets.
 *
 *   version: 1
 *   companies:
 *     - id: acme                      # state namespace and lock name
 *       tokenEnv: ACME_PIPEDRIVE_TOKEN
 *       domain: acme                  # or baseUrl: https://acme.pipedrive.com
 *       policyFile: acme-policy.yaml  # relative to this file; default CADENCE_POLICY_FILE
 *
 * A bad file stops start-up with every problem listed (config-error.ts style). A missing token
 * variable does not: it fails that company's runs (reported each time) and the others go on.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, formatIssues } from './config-error.js';
import type { Env } from './env-schema.js';
import { configFromParts, parseEnv, parseYamlFile, type AppConfig, type ConfigOverrides, type ConnectionVars } from './load-config.js';
import type { Policy } from './policy-schema.js';

const envVarName = z
  .string({ error: 'expected the name of an environment variable, e.g. ACME_PIPEDRIVE_TOKEN' })
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the NAME of an environment variable (upper case, e.g. ACME_PIPEDRIVE_TOKEN), not the token itself');

export const CompanyEntrySchema = z
  .strictObject({
    id: z
      .string({ error: 'expected a short id, e.g. "acme"' })
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected lower-case letters, digits, "-" or "_" (it names the state namespace and the lock)'),
    tokenEnv: envVarName.optional(),
    oauthTokenEnv: envVarName.optional(),
    /** An OAuth app install: the NAMES of the variables holding its client id, client secret and refresh token. */
    oauthApp: z
      .strictObject({
        clientIdEnv: envVarName,
        clientSecretEnv: envVarName,
        refreshTokenEnv: envVarName,
        host: z.url({ error: 'expected a URL like https://oauth.pipedrive.com' }).optional(),
      })
      .optional(),
    domain: z
      .string({ error: 'expected the company subdomain, e.g. "acme" for https://acme.pipedrive.com' })
      .regex(/^[a-z0-9][a-z0-9-]*$/i, 'expected the company subdomain, e.g. "acme" for https://acme.pipedrive.com')
      .optional(),
    baseUrl: z.url({ error: 'expected a URL like https://acme.pipedrive.com or http://127.0.0.1:8787' }).optional(),
    policyFile: z.string({ error: 'expected a path to a policy file' }).min(1, 'expected a path to a policy file').optional(),
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
  })
  .superRefine((c, ctx) => {
    const ways = [c.tokenEnv, c.oauthTokenEnv, c.oauthApp].filter(Boolean).length;
    if (ways === 0) {
      ctx.addIssue({ code: 'custom', path: ['tokenEnv'], message: 'missing: name the environment variable that holds this company\'s API token (or set oauthTokenEnv, or oauthApp)' });
    }
    if (ways > 1) {
      ctx.addIssue({ code: 'custom', path: ['oauthTokenEnv'], message: 'set one of tokenEnv, oauthTokenEnv or oauthApp' });
    }
    if (!c.domain && !c.baseUrl) ctx.addIssue({ code: 'custom', path: ['domain'], message: 'missing: set domain ("acme" for https://acme.pipedrive.com) or baseUrl' });
    if (c.domain && c.baseUrl) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'set domain or baseUrl, not both' });
  });
export type CompanyEntry = z.infer<typeof CompanyEntrySchema>;

export const CompaniesFileSchema = z
  .strictObject({
    version: z.literal(1, { error: 'expected 1' }),
    companies: z.array(CompanyEntrySchema, { error: 'expected a list of companies' }).min(1, 'expected at least one company'),
  })
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    f.companies.forEach((c, i) => {
      const first = seen.get(c.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['companies', i, 'id'], message: `duplicate id "${c.id}" (also companies[${first}]): ids name state and locks, so they must be unique` });
      else seen.set(c.id, i);
    });
  });
export type CompaniesFile = z.infer<typeof CompaniesFileSchema>;

/** A company entry with its policy path resolved against the companies file's folder. */
export interface Company extends CompanyEntry {
  /** Absolute path, or undefined to use CADENCE_POLICY_FILE. */
  policyPath?: string;
}

/** Keys whose values are never echoed: a token pasted into the wrong place must not reach a log. */
const SECRET_KEYS = ['tokenEnv', 'oauthTokenEnv', 'clientSecretEnv', 'refreshTokenEnv', 'token', 'apiToken', 'api_token', 'accessToken', 'clientSecret', 'refreshToken'];
const TOKEN_KEYS = ['token', 'apiToken', 'api_token', 'accessToken'];

export function parseCompaniesFile(text: string, file: string): Company[] {
  const raw = parseYamlFile(text, file);
  const parsed = CompaniesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = formatIssues(file, parsed.error, raw, SECRET_KEYS, CompaniesFileSchema);
    // Say plainly why a token key is refused, not only that it is unknown.
    const list = (raw as { companies?: unknown } | null)?.companies;
    if (Array.isArray(list)) {
      list.forEach((c, i) => {
        const key = c && typeof c === 'object' ? TOKEN_KEYS.find((k) => k in c) : undefined;
        if (!key) return;
        const at = `${file}: companies[${i}].${key}: `;
        const generic = issues.findIndex((m) => m.startsWith(`${at}unknown key`));
        const line = `${at}never put a token in this file; store it in an environment variable (a secret) and name that variable in tokenEnv`;
        if (generic >= 0) issues[generic] = line;
        else issues.push(line);
      });
    }
    throw new ConfigError(issues);
  }
  const base = dirname(file);
  return parsed.data.companies.map((c) => ({
    ...c,
    ...(c.policyFile ? { policyPath: isAbsolute(c.policyFile) ? c.policyFile : resolve(base, c.policyFile) } : {}),
  }));
}

export function loadCompaniesFile(file: string): Company[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read the companies file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check CADENCE_COMPANIES_FILE`]);
  }
  return parseCompaniesFile(text, file);
}

/** Companies whose runs are scheduled (enabled: false keeps an entry without running it). */
export function enabledCompanyIds(companies: readonly Company[]): string[] {
  return companies.filter((c) => c.enabled).map((c) => c.id);
}

/** The company's credentials, read from the variables its entry names, and its address. */
export function companyConnection(company: Company, vars: Record<string, string | undefined>, shared: Pick<Env, 'PIPEDRIVE_OAUTH_HOST'>): ConnectionVars {
  const read = (name: string | undefined) => (name && vars[name] ? vars[name] : undefined);
  const host = company.oauthApp?.host ?? shared.PIPEDRIVE_OAUTH_HOST;
  const values: Record<keyof ConnectionVars, string | undefined> = {
    PIPEDRIVE_API_TOKEN: read(company.tokenEnv),
    PIPEDRIVE_OAUTH_ACCESS_TOKEN: read(company.oauthTokenEnv),
    PIPEDRIVE_OAUTH_CLIENT_ID: read(company.oauthApp?.clientIdEnv),
    PIPEDRIVE_OAUTH_CLIENT_SECRET: read(company.oauthApp?.clientSecretEnv),
    PIPEDRIVE_OAUTH_REFRESH_TOKEN: read(company.oauthApp?.refreshTokenEnv),
    PIPEDRIVE_OAUTH_HOST: company.oauthApp ? host : undefined,
    PIPEDRIVE_COMPANY_DOMAIN: company.domain,
    PIPEDRIVE_BASE_URL: company.baseUrl,
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as ConnectionVars;
}

/** The policy file a company runs under: the flag, else its entry's, else CADENCE_POLICY_FILE. */
export function companyPolicyFile(company: Company, shared: Pick<Env, 'CADENCE_POLICY_FILE'>, overrides: ConfigOverrides = {}): string {
  return overrides.policyFile ?? company.policyPath ?? shared.CADENCE_POLICY_FILE;
}

export interface CompanyConfigOptions {
  overrides?: ConfigOverrides;
  /** The environment already parsed (the deployment parses it once); else `vars` is parsed. */
  env?: Env;
  /** Policies already parsed, by file (the deployment reads each once, at start). */
  policies?: ReadonlyMap<string, Policy>;
  /** False while only reading the policies at start-up (the token is checked when the company runs). */
  requireToken?: boolean;
}

/**
 * One company's resolved configuration, built from the parsed environment, the entry and its policy
 * (the same checks as single-company mode), with `companyId` set to the entry's id and reports in a folder
 * of its own (CADENCE_REPORT_DIR/<id>). Throws ConfigError naming the company and the variable to set.
 */
export function loadCompanyConfig(company: Company, vars: Record<string, string | undefined>, options: CompanyConfigOptions = {}): AppConfig {
  const { overrides = {}, requireToken = true } = options;
  if (requireToken) checkCompanyCredentials(company, vars);
  try {
    const env = options.env ?? parseEnv(vars);
    const policyFile = companyPolicyFile(company, env, overrides);
    const policy = options.policies?.get(policyFile);
    const config = configFromParts({ env, connection: companyConnection(company, vars, env), policyFile, ...(policy ? { policy } : {}), overrides, requireToken });
    const { companiesFile: _shared, ...own } = config;
    // One report folder per company, so each company's "latest" report stays its own.
    return { ...own, companyId: company.id, reportDir: join(env.CADENCE_REPORT_DIR, company.id) };
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues.map((i) => `company "${company.id}": ${i}`));
    throw err;
  }
}

function checkCompanyCredentials(company: Company, vars: Record<string, string | undefined>): void {
  if (company.oauthApp) {
    const unset = [company.oauthApp.clientIdEnv, company.oauthApp.clientSecretEnv, company.oauthApp.refreshTokenEnv].filter((name) => !vars[name]);
    if (unset.length > 0) {
      throw new ConfigError([`company "${company.id}": environment variable${unset.length > 1 ? 's' : ''} ${unset.join(', ')} not set (its oauthApp); set them to the app's client id, client secret and the install's refresh token`]);
    }
  } else {
    const tokenVar = company.tokenEnv ?? company.oauthTokenEnv ?? '';
    if (!vars[tokenVar]) {
      throw new ConfigError([`company "${company.id}": environment variable ${tokenVar} is not set (its tokenEnv); set it to the company's Pipedrive API token`]);
    }
  }
}
