import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import {
  companyConnection,
  companyPolicyFile,
  enabledCompanyIds,
  loadCompaniesFile,
  loadCompanyConfig,
  parseCompaniesFile,
} from '../../../src/config/companies.js';
import { loadDeployment } from '../../../src/ops/deployment.js';
import { configSecrets } from '../../../src/config/load-config.js';

const FILE = '/etc/cadence/companies.yaml';
const problems = (text: string): readonly string[] => {
  try {
    parseCompaniesFile(text, FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

const GOOD = `
version: 1
companies:
  - id: acme
    tokenEnv: ACME_PIPEDRIVE_TOKEN
    domain: acme
    policyFile: acme-policy.yaml
  - id: globex-br
    oauthTokenEnv: GLOBEX_OAUTH_TOKEN
    baseUrl: http://127.0.0.1:8787
  - id: initech
    tokenEnv: INITECH_TOKEN
    domain: initech
    policyFile: /srv/policies/initech.yaml
    enabled: false
`;

describe('parseCompaniesFile', () => {
  it('reads each company, resolving policy files against the companies file folder', () => {
    const companies = parseCompaniesFile(GOOD, FILE);
    expect(companies).toEqual([
      { id: 'acme', tokenEnv: 'ACME_PIPEDRIVE_TOKEN', domain: 'acme', policyFile: 'acme-policy.yaml', policyPath: '/etc/cadence/acme-policy.yaml', enabled: true },
      { id: 'globex-br', oauthTokenEnv: 'GLOBEX_OAUTH_TOKEN', baseUrl: 'http://127.0.0.1:8787', enabled: true },
      {
        id: 'initech',
        tokenEnv: 'INITECH_TOKEN',
        domain: 'initech',
        policyFile: '/srv/policies/initech.yaml',
        policyPath: '/srv/policies/initech.yaml',
        enabled: false,
      },
    ]);
    expect(enabledCompanyIds(companies)).toEqual(['acme', 'globex-br']);
  });

  it('lists every problem at once, each with file, path and what to write', () => {
    const issues = problems(`
version: 2
companies:
  - id: Acme Corp
    domain: acme
    baseUrl: https://acme.pipedrive.com
  - id: ok
    tokenEnv: OK_TOKEN
  - id: ok
    tokenEnv: OK_TOKEN
    domain: ok
    colour: blue
`);
    expect(issues).toEqual([
      '/etc/cadence/companies.yaml: version: expected 1, got 2',
      '/etc/cadence/companies.yaml: companies[0].id: expected lower-case letters, digits, "-" or "_" (it names the state namespace and the lock), got "Acme Corp"',
      "/etc/cadence/companies.yaml: companies[0].tokenEnv: missing: name the environment variable that holds this company's API token (or set oauthTokenEnv, or oauthApp)",
      '/etc/cadence/companies.yaml: companies[0].baseUrl: set domain or baseUrl, not both, got "https://acme.pipedrive.com"',
      '/etc/cadence/companies.yaml: companies[1].domain: missing: set domain ("acme" for https://acme.pipedrive.com) or baseUrl',
      '/etc/cadence/companies.yaml: companies[2].colour: unknown key (valid keys here: id, tokenEnv, oauthTokenEnv, oauthApp, domain, baseUrl, policyFile, enabled); remove it or fix its spelling',
    ]);
  });

  it('flags duplicate ids (they name state and locks)', () => {
    expect(problems('version: 1\ncompanies:\n  - { id: a, tokenEnv: A, domain: a }\n  - { id: a, tokenEnv: B, domain: b }\n')).toEqual([
      '/etc/cadence/companies.yaml: companies[1].id: duplicate id "a" (also companies[0]): ids name state and locks, so they must be unique, got "a"',
    ]);
  });

  it('refuses a token pasted into the file, and never echoes it', () => {
    const token = '0123456789abcdef0123456789abcdef01234567';
    const issues = problems(`version: 1\ncompanies:\n  - id: a\n    tokenEnv: ${token}\n    domain: a\n  - id: b\n    token: ${token}\n    tokenEnv: B_TOKEN\n    domain: b\n`);
    expect(issues).toEqual([
      '/etc/cadence/companies.yaml: companies[0].tokenEnv: expected the NAME of an environment variable (upper case, e.g. ACME_PIPEDRIVE_TOKEN), not the token itself',
      '/etc/cadence/companies.yaml: companies[1].token: never put a token in this file; store it in an environment variable (a secret) and name that variable in tokenEnv',
    ]);
    expect(issues.join('\n')).not.toContain(token);
  });

  it('reports YAML syntax errors with the position, and an empty file', () => {
    expect(problems('version: 1\ncompanies: [\n')[0]).toMatch(/^\/etc\/cadence\/companies.yaml: not valid YAML \(line \d+, column \d+\)/);
    expect(problems('')).toEqual(['/etc/cadence/companies.yaml: the file is empty; it must hold the settings as YAML keys (start from a copy of the shipped file)']);
  });

  it('names the nearest valid key for a misspelt one', () => {
    expect(problems('version: 1\ncompanies:\n  - { id: a, tokenEnv: A, domian: a }\n')).toEqual([
      '/etc/cadence/companies.yaml: companies[0].domian: unknown key; did you mean "domain"?',
      '/etc/cadence/companies.yaml: companies[0].domain: missing: set domain ("acme" for https://acme.pipedrive.com) or baseUrl',
    ]);
    expect(problems('version: 1\ncompanys:\n  - { id: a, tokenEnv: A, domain: a }\n')).toEqual([
      '/etc/cadence/companies.yaml: companies: this section is missing; add it (the shipped file has every section with its defaults)',
      '/etc/cadence/companies.yaml: companys: unknown key; did you mean "companies"?',
    ]);
  });
});

describe('per-company configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadence-companies-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'companies.yaml');
  writeFileSync(file, GOOD);
  // The shipped policy with another firm's time zone.
  writeFileSync(join(dir, 'acme-policy.yaml'), readFileSync('config/policy.yaml', 'utf8').replace(/^timeZone: .*$/m, 'timeZone: Europe/Lisbon'));
  const env = {
    ACME_PIPEDRIVE_TOKEN: 'acme-secret-token-1234',
    GLOBEX_OAUTH_TOKEN: 'globex-oauth-5678',
    PIPEDRIVE_API_TOKEN: 'single-company-token',
    PIPEDRIVE_COMPANY_DOMAIN: 'single',
    CADENCE_STATE_URL: 'redis://127.0.0.1:6379',
  };

  it('builds a company from the variables its entry names, never the single-company ones', () => {
    const [acme, globex] = loadCompaniesFile(file);
    expect(companyConnection(acme!, env, {})).toEqual({ PIPEDRIVE_API_TOKEN: 'acme-secret-token-1234', PIPEDRIVE_COMPANY_DOMAIN: 'acme' });
    expect(companyPolicyFile(acme!, { CADENCE_POLICY_FILE: 'config/policy.yaml' })).toBe(join(dir, 'acme-policy.yaml'));
    expect(loadCompanyConfig(acme!, { ...env, CADENCE_REPORT_DIR: '/var/lib/cadence/reports' }).reportDir).toBe('/var/lib/cadence/reports/acme');
    expect(companyConnection(globex!, env, {})).toEqual({ PIPEDRIVE_OAUTH_ACCESS_TOKEN: 'globex-oauth-5678', PIPEDRIVE_BASE_URL: 'http://127.0.0.1:8787' });
    const globexConfig = loadCompanyConfig(globex!, env);
    expect(globexConfig.pipedrive).toMatchObject({ baseUrl: 'http://127.0.0.1:8787', oauthAccessToken: 'globex-oauth-5678' });
    expect(globexConfig.pipedrive.apiToken).toBeUndefined();
    expect(globexConfig.companiesFile).toBeUndefined();
  });

  it('loads each company through the one config parser, with its id and policy', () => {
    const [acme] = loadCompaniesFile(file);
    const config = loadCompanyConfig(acme!, env);
    expect(config.companyId).toBe('acme');
    expect(config.pipedrive).toMatchObject({ baseUrl: 'https://acme.pipedrive.com', apiToken: 'acme-secret-token-1234' });
    expect(config.policy.timeZone).toBe('Europe/Lisbon');
    expect(config.stateUrl).toBe('redis://127.0.0.1:6379');
    expect(config.reportDir).toBe(join('reports', 'acme'));
  });

  it('names the company and the variable to set when its token is missing', () => {
    const [acme] = loadCompaniesFile(file);
    expect(() => loadCompanyConfig(acme!, { ...env, ACME_PIPEDRIVE_TOKEN: '' })).toThrow(
      'company "acme": environment variable ACME_PIPEDRIVE_TOKEN is not set (its tokenEnv); set it to the company\'s Pipedrive API token',
    );
  });

  it('prefixes the company to the problems of its policy file', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\ncompanies:\n  - { id: bad, tokenEnv: BAD_TOKEN, domain: bad, policyFile: missing.yaml }\n');
    const [bad] = loadCompaniesFile(join(dir, 'bad.yaml'));
    expect(() => loadCompanyConfig(bad!, { BAD_TOKEN: 'bad-token-0000' })).toThrow(/^company "bad": .*missing.yaml: cannot read the policy file \(ENOENT\)/);
  });

  it('collects the tokens to register as logger secrets', () => {
    const deployment = loadDeployment({ ...env, CADENCE_COMPANIES_FILE: file, INITECH_TOKEN: 'initech-token-9012' });
    // The disabled company's token too: censored wherever it might appear.
    expect(deployment.secrets).toEqual(expect.arrayContaining(['acme-secret-token-1234', 'globex-oauth-5678', 'initech-token-9012']));
  });

  it('says which file it could not read', () => {
    expect(() => loadCompaniesFile(join(dir, 'nope.yaml'))).toThrow(/nope.yaml: cannot read the companies file \(ENOENT\); check CADENCE_COMPANIES_FILE/);
  });
});

describe('a company installed as an OAuth app', () => {
  const text = `
version: 1
companies:
  - id: umbrella
    domain: umbrella
    oauthApp:
      clientIdEnv: UMBRELLA_CLIENT_ID
      clientSecretEnv: UMBRELLA_CLIENT_SECRET
      refreshTokenEnv: UMBRELLA_REFRESH_TOKEN
`;
  const env = { UMBRELLA_CLIENT_ID: 'cid', UMBRELLA_CLIENT_SECRET: 'csecret-777', UMBRELLA_REFRESH_TOKEN: 'rtok-888', CADENCE_SECRET_KEY: Buffer.alloc(32, 3).toString('base64') };

  it('reads the client id, secret and refresh token from the variables it names; the secrets are registered for censoring', () => {
    const [company] = parseCompaniesFile(text, FILE);
    expect(companyConnection(company!, env, {})).toEqual({ PIPEDRIVE_OAUTH_CLIENT_ID: 'cid', PIPEDRIVE_OAUTH_CLIENT_SECRET: 'csecret-777', PIPEDRIVE_OAUTH_REFRESH_TOKEN: 'rtok-888', PIPEDRIVE_COMPANY_DOMAIN: 'umbrella' });
    const cfg = loadCompanyConfig(company!, { ...env, CADENCE_POLICY_FILE: 'config/policy.yaml' });
    expect(configSecrets(cfg)).toEqual(expect.arrayContaining(['csecret-777', 'rtok-888']));
    expect(cfg.pipedrive.oauthApp).toEqual({ clientId: 'cid', clientSecret: 'csecret-777', refreshToken: 'rtok-888' });
  });

  it('says which variable is not set, and refuses two ways of authenticating', () => {
    const [company] = parseCompaniesFile(text, FILE);
    expect(() => loadCompanyConfig(company!, { UMBRELLA_CLIENT_ID: 'cid' })).toThrow(/UMBRELLA_CLIENT_SECRET, UMBRELLA_REFRESH_TOKEN not set \(its oauthApp\)/);
    expect(problems(text.replace('    domain: umbrella', '    domain: umbrella\n    tokenEnv: UMBRELLA_TOKEN'))).toEqual([expect.stringMatching(/set one of tokenEnv, oauthTokenEnv or oauthApp/)]);
  });
});
