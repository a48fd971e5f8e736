import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadDeployment } from '../../../src/ops/deployment.js';

const dir = mkdtempSync(join(tmpdir(), 'cadence-deployment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shipped = readFileSync('config/policy.yaml', 'utf8');
writeFileSync(join(dir, 'lisbon.yaml'), shipped.replace(/^timeZone: .*$/m, 'timeZone: Europe/Lisbon'));
writeFileSync(join(dir, 'broken.yaml'), shipped.replace(/^timeZone: .*$/m, 'timeZone: Atlantis/Capital'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const companies = file(
  'companies.yaml',
  `version: 1
companies:
  - { id: acme, tokenEnv: ACME_TOKEN, domain: acme }
  - { id: tejo, tokenEnv: TEJO_TOKEN, domain: tejo, policyFile: lisbon.yaml }
  - { id: boa, tokenEnv: BOA_TOKEN, domain: boa }
  - { id: old, tokenEnv: OLD_TOKEN, domain: old, enabled: false }
`,
);

describe('loadDeployment', () => {
  it('single company: the PIPEDRIVE_* variables, one zone', () => {
    const d = loadDeployment({ PIPEDRIVE_API_TOKEN: 'single-token-1234', PIPEDRIVE_COMPANY_DOMAIN: 'acme', CADENCE_STATE_URL: 'redis://127.0.0.1:6379' });
    expect(d).toMatchObject({
      mode: 'single',
      companyIds: ['acme'],
      zones: [{ timeZone: 'America/Sao_Paulo', companies: ['acme'] }],
      stateUrl: 'redis://127.0.0.1:6379',
      schedule: '0 2 * * *',
      secrets: ['single-token-1234'],
    });
    expect(d.configFor('acme').pipedrive.apiToken).toBe('single-token-1234');
    expect(() => d.configFor('other')).toThrow(/unknown company "other": this deployment runs "acme"/);
  });

  it('companies file: enabled companies grouped by their policy time zone, tokens as secrets', () => {
    const d = loadDeployment({ CADENCE_COMPANIES_FILE: companies, ACME_TOKEN: 'acme-token-1234', TEJO_TOKEN: 'tejo-token-5678', CADENCE_SCHEDULE: '30 1 * * *' });
    expect(d.mode).toBe('companies-file');
    expect(d.companyIds).toEqual(['acme', 'tejo', 'boa']);
    expect(d.zones).toEqual([
      { timeZone: 'America/Sao_Paulo', companies: ['acme', 'boa'] },
      { timeZone: 'Europe/Lisbon', companies: ['tejo'] },
    ]);
    expect(d.schedule).toBe('30 1 * * *');
    expect(d.secrets).toEqual(['acme-token-1234', 'tejo-token-5678']);
    expect(d.configFor('tejo')).toMatchObject({ companyId: 'tejo', pipedrive: { baseUrl: 'https://tejo.pipedrive.com', apiToken: 'tejo-token-5678' } });
  });

  it('a company without its token does not stop start-up; its runs fail with what to set', () => {
    const d = loadDeployment({ CADENCE_COMPANIES_FILE: companies, ACME_TOKEN: 'acme-token-1234' });
    expect(d.companyIds).toEqual(['acme', 'tejo', 'boa']);
    expect(() => d.configFor('boa')).toThrow('company "boa": environment variable BOA_TOKEN is not set (its tokenEnv); set it to the company\'s Pipedrive API token');
  });

  it('CADENCE_TIME_ZONE puts every company in one zone', () => {
    const d = loadDeployment({ CADENCE_COMPANIES_FILE: companies, CADENCE_TIME_ZONE: 'UTC' });
    expect(d.zones).toEqual([{ timeZone: 'UTC', companies: ['acme', 'tejo', 'boa'] }]);
  });

  it('lists the policy problems of every company at start-up', () => {
    const bad = file('bad.yaml', 'version: 1\ncompanies:\n  - { id: x, tokenEnv: X, domain: x, policyFile: broken.yaml }\n  - { id: y, tokenEnv: Y, domain: y, policyFile: nope.yaml }\n');
    let issues: readonly string[] = [];
    try {
      loadDeployment({ CADENCE_COMPANIES_FILE: bad });
    } catch (err) {
      if (err instanceof ConfigError) issues = err.issues;
    }
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^company "x": .*broken.yaml: timeZone: expected an IANA time zone like America\/Sao_Paulo, got "Atlantis\/Capital"/);
    expect(issues[1]).toMatch(/^company "y": .*nope.yaml: cannot read the policy file \(ENOENT\)/);
  });

  it('refuses a file where every company is disabled', () => {
    const off = file('off.yaml', 'version: 1\ncompanies:\n  - { id: x, tokenEnv: X, domain: x, enabled: false }\n');
    expect(() => loadDeployment({ CADENCE_COMPANIES_FILE: off })).toThrow(/every company is disabled/);
  });
});
