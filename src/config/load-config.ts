/**
 * One config schema, one parse function (STYLE.md habit 7): defaults < policy file < environment < flags.
 * Every bad key is listed in one ConfigError; the API token never appears in a message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, formatIssues } from './config-error.js';
import { EnvSchema, SECRET_ENV_KEYS, type Env } from './env-schema.js';
import { PolicySchema, type Policy } from './policy-schema.js';
import { didYouMean } from './suggest.js';

export interface PipedriveConnection {
  /** Origin of the API, without a path: https://acme.pipedrive.com or http://127.0.0.1:8787 */
  baseUrl: string;
  apiToken?: string;
  oauthAccessToken?: string;
  /** An OAuth app install: its tokens are refreshed and kept in the state store (src/pipedrive/oauth.ts). */
  oauthApp?: { clientId: string; clientSecret: string; refreshToken: string; host?: string };
  timeoutMs: number;
  concurrency: number;
}

/** The resolved configuration the composition root works from. */
export interface AppConfig {
  /** Namespace of this company's state (company domain, or host:port of a custom base URL). */
  companyId: string;
  pipedrive: PipedriveConnection;
  policy: Policy;
  policyFile: string;
  stateUrl: string;
  reportDir: string;
  reportRetention: number;
  dryRun: boolean;
  maxWrites: number;
  schedule: string;
  reconcileEveryDays: number;
  /** CADENCE_SYNC_CHAINS and CADENCE_SYNC_CHAIN_MIN_PAGES: how large lists are read as parallel cursor chains. */
  syncChains: { maxChains: number; minPagesPerChain: number };
  /** CADENCE_STATUS_ADDR: where the status server listens (off when unset). */
  statusAddr?: string;
  /** CADENCE_STATUS_TOKEN: bearer token of /metrics and /reports/* on the status server. */
  statusToken?: string;
  /**
   * CADENCE_SECRET_KEY (current, encrypts) and CADENCE_SECRET_KEY_PREVIOUS (older keys, decrypt only),
   * base64 as given: the key ring of the encrypted secret store (src/store/secret-store.ts).
   */
  secretKeys: { current?: string; previous: string[] };
  companiesFile?: string;
  /** CADENCE_WEBHOOK_URL: the receiver's public base URL; subscriptions point at <it>/webhooks/<company>. */
  webhookUrl?: string;
  /** CADENCE_WEBHOOK_ADDR: where the webhook receiver listens (off when unset). */
  webhookAddr?: string;
  logLevel: Env['LOG_LEVEL'];
}

/** Flags from the CLI that override the environment. */
export interface ConfigOverrides {
  dryRun?: boolean;
  maxWrites?: number;
  policyFile?: string;
}

/** Parses a YAML configuration file; a syntax error names the file, the line and the column. */
export function parseYamlFile(text: string, file: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line}, column ${err.linePos[0].col})` : '';
    throw new ConfigError([`${file}: not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
}

/** The shipped default policy, next to the sources (src/config → config/) or the build (dist/src/config → config/). */
export function defaultPolicyPath(): string {
  const candidates = ['../../config/policy.yaml', '../../../config/policy.yaml'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

type Doc = Record<string, unknown>;
const isMapping = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A short policy's changes laid over the default (docs/policy.md "A short policy"): mappings merge key by
 * key, at any depth; a key set to null is removed (a rule a tier should not have); `tiers` merge entry by
 * entry on `level` (a new level is added); every other list replaces the default's list.
 */
export function mergePolicy(base: unknown, over: unknown, path: string[] = []): unknown {
  if (path.length === 1 && path[0] === 'tiers' && Array.isArray(base) && Array.isArray(over)) {
    const out = base.map((t) => (isMapping(t) ? { ...t } : t)) as unknown[];
    for (const t of over) {
      const i = isMapping(t) ? out.findIndex((b) => isMapping(b) && b.level === t.level) : -1;
      if (i >= 0) out[i] = mergePolicy(out[i], t, [...path, String(i)]);
      else out.push(t);
    }
    return out;
  }
  if (!isMapping(base) || !isMapping(over)) return over;
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = k in base ? mergePolicy(base[k], v, [...path, k]) : v;
  }
  return out;
}

/** `extends: default`: the file states only what it changes; the rest comes from the shipped policy. */
function resolveExtends(raw: unknown, policyFile: string): unknown {
  if (!isMapping(raw) || !('extends' in raw)) return raw;
  const { extends: parent, ...changes } = raw;
  if (parent !== 'default') throw new ConfigError([`${policyFile}: extends: expected "default" (the shipped policy), got ${JSON.stringify(parent)}`]);
  const file = defaultPolicyPath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${policyFile}: extends: default: cannot read the shipped policy ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  const base = parseYamlFile(text, file);
  if (isMapping(base) && 'extends' in base) throw new ConfigError([`${file}: the default policy cannot itself extend another`]);
  return mergePolicy(base, changes);
}

export function parsePolicy(policyText: string, policyFile: string): Policy {
  const own = parseYamlFile(policyText, policyFile);
  const raw = resolveExtends(own, policyFile);
  const parsed = PolicySchema.safeParse(raw);
  if (!parsed.success) {
    let issues = formatIssues(policyFile, parsed.error, raw, [], PolicySchema);
    // In a short policy the tier list is merged by level, so a position means nothing in the file: name the level.
    if (raw !== own && isMapping(raw) && Array.isArray(raw.tiers)) {
      const tiers = raw.tiers as unknown[];
      issues = issues.map((m) => m.replace(/: tiers\[(\d+)\]/, (whole, i: string) => {
        const t = tiers[Number(i)];
        return isMapping(t) && typeof t.level === 'number' ? `: tiers[level ${t.level}]` : whole;
      }));
    }
    throw new ConfigError(issues);
  }
  return parsed.data;
}

export function parseEnv(env: Record<string, string | undefined>): Env {
  // Empty strings from a .env template mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  const problems = [...unknownCadenceVariables(cleaned), ...(parsed.success ? [] : formatIssues('environment', parsed.error, cleaned, SECRET_ENV_KEYS))];
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

/**
 * CADENCE_* variables the environment schema does not know: a typo (CADENCE_SCHEDUL) would otherwise
 * leave the default in force without a word. The known names come from EnvSchema itself, so a variable
 * added to the schema later is known here too.
 */
export function unknownCadenceVariables(env: Record<string, string | undefined>): string[] {
  const known = Object.keys(EnvSchema.shape);
  return Object.keys(env)
    .filter((k) => k.startsWith('CADENCE_') && !known.includes(k))
    .map((k) => {
      const hint = didYouMean(k, known);
      return `environment: ${k}: unknown variable${hint || '; the variables are listed in .env.example'}; rename or remove it`;
    });
}

export interface ParseConfigInput {
  env: Record<string, string | undefined>;
  policyText: string;
  overrides?: ConfigOverrides;
  /** False while only reading the policies at start-up (a company's token is checked when it runs). */
  requireToken?: boolean;
}

/** A company's Pipedrive credentials and address: the PIPEDRIVE_* variables, or what a companies-file entry names. */
export type ConnectionVars = Pick<
  Env,
  | 'PIPEDRIVE_API_TOKEN'
  | 'PIPEDRIVE_OAUTH_ACCESS_TOKEN'
  | 'PIPEDRIVE_OAUTH_CLIENT_ID'
  | 'PIPEDRIVE_OAUTH_CLIENT_SECRET'
  | 'PIPEDRIVE_OAUTH_REFRESH_TOKEN'
  | 'PIPEDRIVE_OAUTH_HOST'
  | 'PIPEDRIVE_COMPANY_DOMAIN'
  | 'PIPEDRIVE_BASE_URL'
>;

export function parseConfig({ env: rawEnv, policyText, overrides = {}, requireToken = true }: ParseConfigInput): AppConfig {
  const problems: string[] = [];
  let env: Env | undefined;
  let policy: Policy | undefined;
  try {
    env = parseEnv(rawEnv);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.issues);
    else throw err;
  }
  const policyFile = overrides.policyFile ?? env?.CADENCE_POLICY_FILE ?? 'config/policy.yaml';
  try {
    policy = parsePolicy(policyText, policyFile);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.issues);
    else throw err;
  }
  if (env) problems.push(...configProblems(env, env, requireToken));
  if (problems.length > 0 || !env || !policy) throw new ConfigError(problems);
  return assembleConfig(env, env, policy, policyFile, overrides);
}

export interface ConfigFromPartsInput {
  /** The environment, parsed once. */
  env: Env;
  connection: ConnectionVars;
  policyFile: string;
  /** The policy, when already parsed (else the file is read). */
  policy?: Policy;
  overrides?: ConfigOverrides;
  requireToken?: boolean;
}

/** A configuration from values already parsed: the deployment builds each company's this way, without re-reading the environment. */
export function configFromParts({ env, connection, policyFile, policy, overrides = {}, requireToken = true }: ConfigFromPartsInput): AppConfig {
  const problems: string[] = [];
  let resolved = policy;
  if (!resolved) {
    try {
      resolved = loadPolicyFile(policyFile);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.issues);
      else throw err;
    }
  }
  problems.push(...configProblems(env, connection, requireToken));
  if (problems.length > 0 || !resolved) throw new ConfigError(problems);
  return assembleConfig(env, connection, resolved, policyFile, overrides);
}

/** What parsing each variable alone cannot see: credentials that go together, the time zone, two servers on one port. */
function configProblems(env: Env, c: ConnectionVars, requireToken: boolean): string[] {
  const problems: string[] = [];
  const app = [c.PIPEDRIVE_OAUTH_CLIENT_ID, c.PIPEDRIVE_OAUTH_CLIENT_SECRET, c.PIPEDRIVE_OAUTH_REFRESH_TOKEN];
  if (requireToken && !c.PIPEDRIVE_API_TOKEN && !c.PIPEDRIVE_OAUTH_ACCESS_TOKEN && !app.some(Boolean)) {
    problems.push('environment: PIPEDRIVE_API_TOKEN: missing: set it to your Pipedrive API token (Settings → Personal preferences → API), or set PIPEDRIVE_OAUTH_ACCESS_TOKEN');
  }
  if (app.some(Boolean) && !app.every(Boolean)) {
    const names = ['PIPEDRIVE_OAUTH_CLIENT_ID', 'PIPEDRIVE_OAUTH_CLIENT_SECRET', 'PIPEDRIVE_OAUTH_REFRESH_TOKEN'].filter((_, i) => !app[i]);
    problems.push(`environment: ${names.join(', ')}: missing: an OAuth app install needs the client id, the client secret and the refresh token together`);
  }
  if (app.every(Boolean) && !env.CADENCE_SECRET_KEY) {
    problems.push(
      'environment: CADENCE_SECRET_KEY: missing: an OAuth app install keeps its rotated tokens in the state store, encrypted under this key; set it to 32 random bytes in base64 (`openssl rand -base64 32`)',
    );
  }
  if (!c.PIPEDRIVE_BASE_URL && !c.PIPEDRIVE_COMPANY_DOMAIN) {
    problems.push('environment: PIPEDRIVE_COMPANY_DOMAIN: missing: set it to your company subdomain ("acme" for https://acme.pipedrive.com), or set PIPEDRIVE_BASE_URL');
  }
  if (env.CADENCE_TIME_ZONE && !isTimeZone(env.CADENCE_TIME_ZONE)) {
    problems.push(`environment: CADENCE_TIME_ZONE: expected an IANA time zone like America/Sao_Paulo, got "${env.CADENCE_TIME_ZONE}"`);
  }
  if (env.CADENCE_WEBHOOK_ADDR && env.CADENCE_STATUS_ADDR && portOf(env.CADENCE_WEBHOOK_ADDR) === portOf(env.CADENCE_STATUS_ADDR)) {
    problems.push('environment: CADENCE_WEBHOOK_ADDR: the webhook receiver needs its own port, not the status server\'s (CADENCE_STATUS_ADDR): choose another port');
  }
  return problems;
}

/** The Pipedrive connection of a company's credentials and address. */
export function connectionOf(env: Env, c: ConnectionVars): PipedriveConnection {
  const baseUrl = (c.PIPEDRIVE_BASE_URL ?? `https://${c.PIPEDRIVE_COMPANY_DOMAIN}.pipedrive.com`).replace(/\/+$/, '');
  return {
    baseUrl,
    ...(c.PIPEDRIVE_API_TOKEN ? { apiToken: c.PIPEDRIVE_API_TOKEN } : {}),
    ...(c.PIPEDRIVE_OAUTH_ACCESS_TOKEN ? { oauthAccessToken: c.PIPEDRIVE_OAUTH_ACCESS_TOKEN } : {}),
    ...(c.PIPEDRIVE_OAUTH_CLIENT_ID && c.PIPEDRIVE_OAUTH_CLIENT_SECRET && c.PIPEDRIVE_OAUTH_REFRESH_TOKEN
      ? {
          oauthApp: {
            clientId: c.PIPEDRIVE_OAUTH_CLIENT_ID,
            clientSecret: c.PIPEDRIVE_OAUTH_CLIENT_SECRET,
            refreshToken: c.PIPEDRIVE_OAUTH_REFRESH_TOKEN,
            ...(c.PIPEDRIVE_OAUTH_HOST ? { host: c.PIPEDRIVE_OAUTH_HOST } : {}),
          },
        }
      : {}),
    timeoutMs: env.CADENCE_REQUEST_TIMEOUT_MS,
    concurrency: env.CADENCE_CONCURRENCY,
  };
}

function assembleConfig(env: Env, c: ConnectionVars, policy: Policy, policyFile: string, overrides: ConfigOverrides): AppConfig {
  const pipedrive = connectionOf(env, c);
  const companyId = c.PIPEDRIVE_COMPANY_DOMAIN ?? new URL(pipedrive.baseUrl).host;
  const resolvedPolicy: Policy = env.CADENCE_TIME_ZONE ? { ...policy, timeZone: env.CADENCE_TIME_ZONE } : policy;
  return {
    companyId,
    pipedrive,
    policy: resolvedPolicy,
    policyFile,
    stateUrl: env.CADENCE_STATE_URL,
    reportDir: env.CADENCE_REPORT_DIR,
    reportRetention: env.CADENCE_REPORT_RETENTION,
    dryRun: overrides.dryRun ?? env.CADENCE_DRY_RUN,
    maxWrites: overrides.maxWrites ?? env.CADENCE_MAX_WRITES ?? resolvedPolicy.writes.maxWrites,
    schedule: env.CADENCE_SCHEDULE,
    reconcileEveryDays: env.CADENCE_RECONCILE_EVERY_DAYS,
    syncChains: { maxChains: env.CADENCE_SYNC_CHAINS, minPagesPerChain: env.CADENCE_SYNC_CHAIN_MIN_PAGES },
    ...(env.CADENCE_STATUS_ADDR ? { statusAddr: env.CADENCE_STATUS_ADDR } : {}),
    ...(env.CADENCE_STATUS_TOKEN ? { statusToken: env.CADENCE_STATUS_TOKEN } : {}),
    secretKeys: secretKeysOf(env),
    ...(env.CADENCE_WEBHOOK_URL ? { webhookUrl: env.CADENCE_WEBHOOK_URL } : {}),
    ...(env.CADENCE_WEBHOOK_ADDR ? { webhookAddr: env.CADENCE_WEBHOOK_ADDR } : {}),
    ...(env.CADENCE_COMPANIES_FILE ? { companiesFile: env.CADENCE_COMPANIES_FILE } : {}),
    logLevel: env.LOG_LEVEL,
  };
}

/** The key ring's variables as given (validated by the schema): the current key and the older ones, comma-separated. */
/** The port of a host:port or bare-port address. */
function portOf(addr: string): string {
  return addr.slice(addr.lastIndexOf(':') + 1);
}

export function secretKeysOf(env: Pick<Env, 'CADENCE_SECRET_KEY' | 'CADENCE_SECRET_KEY_PREVIOUS'>): AppConfig['secretKeys'] {
  const previous = (env.CADENCE_SECRET_KEY_PREVIOUS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  return { ...(env.CADENCE_SECRET_KEY ? { current: env.CADENCE_SECRET_KEY } : {}), previous };
}

/** What holds secrets: a configuration, or the deployment's shared settings. */
export type SecretHolder = { pipedrive: Pick<PipedriveConnection, 'apiToken' | 'oauthAccessToken' | 'oauthApp'> } & Partial<Pick<AppConfig, 'statusToken' | 'secretKeys'>>;

/** The secrets of the environment itself (its PIPEDRIVE_* credentials, status token and keys), as a holder. */
export function envSecretHolder(env: Env): SecretHolder {
  return {
    pipedrive: connectionOf(env, env),
    ...(env.CADENCE_STATUS_TOKEN ? { statusToken: env.CADENCE_STATUS_TOKEN } : {}),
    secretKeys: secretKeysOf(env),
  };
}

/**
 * Every secret value of one or more configurations, without repeats: the one list the logger censors
 * wherever a value appears (a company, a deployment of several, a maintenance command).
 */
export function configSecrets(...holders: SecretHolder[]): string[] {
  return [...new Set(holders.flatMap(secretsOfOne))];
}

function secretsOfOne(config: SecretHolder): string[] {
  return [
    config.pipedrive.apiToken,
    config.pipedrive.oauthAccessToken,
    config.pipedrive.oauthApp?.clientSecret,
    config.pipedrive.oauthApp?.refreshToken,
    config.statusToken,
    config.secretKeys?.current,
    ...(config.secretKeys?.previous ?? []),
  ].filter((s): s is string => Boolean(s));
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function readPolicyText(policyFile: string): string {
  try {
    return readFileSync(policyFile, 'utf8');
  } catch (err) {
    throw new ConfigError([`${policyFile}: cannot read the policy file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set CADENCE_POLICY_FILE or --policy`]);
  }
}

/** Reads and parses one policy file. */
export function loadPolicyFile(policyFile: string): Policy {
  return parsePolicy(readPolicyText(policyFile), policyFile);
}

/** Reads the policy file named by the environment (or the override) and parses everything. */
export function loadConfig(input: Omit<ParseConfigInput, 'policyText'>): AppConfig {
  const policyFile = input.overrides?.policyFile ?? input.env.CADENCE_POLICY_FILE ?? 'config/policy.yaml';
  return parseConfig({ ...input, policyText: readPolicyText(policyFile) });
}

