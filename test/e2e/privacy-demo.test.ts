/**
 * Personal data in what the worker writes (LGPD): the demo company, with an invalid e-mail and invalid
 * phones planted, through setup and the real nightly job over HTTP. Its info-level log lines carry
 * record ids, never a person's name, e-mail or phone; findings.csv and report.json say that a value is
 * invalid without repeating it, and hold no e-mail or phone value at all.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import type { Dataset } from '../../sandbox/model.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { composeCompany, loggerFor } from '../../src/app/compose.js';
import { loadConfig } from '../../src/config/load-config.js';
import { runCompanyJob, type JobOutcome } from '../../src/job/run-company-job.js';
import { ReportV1 } from '../../src/report/report-schema.js';
import { runSetup } from '../../src/setup/run-setup.js';

const INVALID_EMAIL = 'joana.prestes@cliente-sem-dominio';
const INVALID_PHONE = '+55 (11) 9-ABC';

let dir: string;
let sandbox: Sandbox;
let dataset: Dataset;
let outcome: JobOutcome;
const lines: string[] = [];
let csv: string;
let json: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-privacy-'));
  dataset = generateDataset({ seed: 42, now: new Date(), scale: 'demo' });
  // One invalid e-mail, and an invalid phone on every person of a few clients (so some are in Tier 3+,
  // where Phone is required and therefore checked).
  const withEmail = dataset.persons.find((p) => p.emails.length > 0 && p.orgId !== null)!;
  withEmail.emails = [{ value: INVALID_EMAIL, primary: true, label: 'work' }];
  for (const p of dataset.persons) if (p.phones.length > 0) p.phones = [{ value: INVALID_PHONE, primary: true, label: 'work' }];
  sandbox = await startSandbox({ dataset });
  const config = loadConfig({
    env: {
      PIPEDRIVE_API_TOKEN: sandbox.token,
      PIPEDRIVE_BASE_URL: sandbox.url,
      PIPEDRIVE_COMPANY_DOMAIN: sandbox.companyDomain,
      CADENCE_STATE_URL: 'memory://',
      CADENCE_REPORT_DIR: dir,
      CADENCE_POLICY_FILE: 'config/policy.yaml',
      LOG_LEVEL: 'info',
    },
  });
  const logger = loggerFor(config, { write: (s: string) => void lines.push(s) });
  const parts = await composeCompany(config, logger);
  try {
    await runSetup({ client: parts.client, policy: config.policy, logger });
    outcome = await runCompanyJob(parts, {});
  } finally {
    await parts.close();
  }
  csv = await readFile(outcome.reports!.files.csv, 'utf8');
  json = await readFile(outcome.reports!.files.json, 'utf8');
}, 120_000);
afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every e-mail and phone value of the company's persons (and users' e-mails), as written and as digits. */
function contactValues(): string[] {
  const values = new Set<string>();
  for (const p of dataset.persons) {
    for (const e of p.emails) values.add(e.value);
    for (const ph of p.phones) {
      values.add(ph.value);
      values.add(ph.value.replace(/\D/g, ''));
    }
  }
  return [...values].filter((v) => v.length >= 6);
}

const personNames = () => [...new Set(dataset.persons.map((p) => p.name))].filter((n) => n.length >= 5);

describe('personal data in the demo company output', () => {
  it('the run worked and the planted problems are reported (the scan below is not vacuous)', () => {
    expect(outcome.status).not.toBe('failed');
    const report = ReportV1.parse(JSON.parse(json));
    const problems = report.dataQuality.findings.map((f) => f.problem);
    expect(problems).toContain('invalid_email');
    expect(problems).toContain('invalid_phone');
    expect(lines.length).toBeGreaterThan(10);
    expect(contactValues().length).toBeGreaterThan(50);
  });

  it('info-level log lines carry no person name, e-mail or phone', () => {
    const info = lines.map((l) => JSON.parse(l) as { level: number }).filter((l) => l.level >= 30);
    const text = info.map((l) => JSON.stringify(l)).join('\n');
    const leaks = [...contactValues(), ...personNames()].filter((v) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1)));
    expect(leaks).toEqual([]);
  });

  it('findings.csv and report.json say a value is invalid without repeating it, and hold no e-mail or phone value', () => {
    for (const [name, text] of [['findings.csv', csv], ['report.json', json]] as const) {
      const leaks = contactValues().filter((v) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1)));
      expect([name, leaks]).toEqual([name, []]);
    }
    const report = ReportV1.parse(JSON.parse(json));
    const email = report.dataQuality.findings.find((f) => f.problem === 'invalid_email')!;
    expect(email).toMatchObject({ entity: 'person', field: 'Email' });
    expect(email.message).toMatch(/^Email: .*e-mail/);
    expect(email.url).toMatch(/\/person\/\d+$/);
  });
});
