/**
 * The CLI as an admin meets it: `--help` on every command, and one meaning per exit code (the README's
 * table), each code checked on every command that can return it. The real CLI in a child process.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../faults/support/cli.js';
import { startCompany, type FaultCompany } from '../faults/support/company.js';

/** What a person reads: stdout and the non-JSON lines of stderr (the JSON lines are the structured log). */
function humanLines(r: { stdout: string; stderr: string }): string {
  return `${r.stdout}\n${r.stderr.split('\n').filter((l) => !l.startsWith('{')).join('\n')}`;
}

describe('--help', () => {
  it.each(Object.keys(COMMANDS))('cadence %s --help prints the command and its options, exit 0', async (name) => {
    const r = await runCli([name, '--help'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Usage: cadence ${name} [options]`);
    for (const option of Object.keys(COMMANDS[name as keyof typeof COMMANDS].options)) expect(r.stdout).toContain(`--${option}`);
    expect(r.stderr).toBe('');
  });
});

describe('a short policy (extends: default) runs the demo', () => {
  it('cadence demo --policy config/examples/short-policy.yaml: exit 0, in English, the changed thresholds in force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadence-short-'));
    try {
      const r = await runCli(['demo', '--policy', 'config/examples/short-policy.yaml', '--locale', 'en', '--report-dir', join(dir, 'reports')], {});
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/Second run: 0 created/);
      // The night after a client changed hands: one activity, the handover for the new owner (docs/policy.md §10.5).
      expect(r.stdout).toMatch(/Third run: 1 created \(status ok\)\n {2}• \[handover\] Account handover — Transportes Via Norte: client taken over from Fernanda/);
      const report = JSON.parse(readFileSync(join(dir, 'reports', 'latest', 'report.json'), 'utf8')) as { rules: Array<{ id: string; onGap: string }> };
      expect(report.rules.find((x) => x.id === 'maintenance')?.onGap).toBe('report');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exit codes: one meaning per code on every command', () => {
  const NOW = new Date();
  let c: FaultCompany;
  let typoPolicy: string;
  beforeAll(async () => {
    c = await startCompany(NOW, { scale: { organizations: 20, personsPerOrg: 2, dealsPerOrg: 2, activitiesPerOrg: 8 } });
    typoPolicy = join(c.dir, 'typo-policy.yaml');
    writeFileSync(typoPolicy, readFileSync('config/policy.yaml', 'utf8').replace('dueSoonDays: 7', 'dueSoonDay: 0'));
  }, 120_000);
  afterAll(async () => {
    await c?.close();
  });

  // Every command that reads the policy (rotate-key and purge touch only the state store and the reports).
  const ALL = Object.entries(COMMANDS)
    .filter(([, c]) => 'policy' in c.options)
    .map(([name]) => name);
  it('every command but rotate-key and purge reads the policy', () => {
    expect(Object.keys(COMMANDS).filter((n) => !ALL.includes(n))).toEqual(['rotate-key', 'purge']);
  });
  it.each(ALL)('2 (configuration): cadence %s with a misspelt policy key says which key and what it meant', async (name) => {
    const r = await c.cli([name, '--policy', typoPolicy]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain('status.dueSoonDay: unknown key; did you mean "dueSoonDays"?');
  });

  it.each([
    ['demo', '--locale', 'fr'],
    ['apply', '--max-writes', '0'],
    ['sync', '--reconcile', 'sometimes'],
    ['plan', '--colour', ''],
  ])('2 (configuration): a bad flag: cadence %s %s %s', async (...args) => {
    const r = await c.cli(args.filter(Boolean));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(2);
    expect(r.stderr).toMatch(/--(locale|max-writes|reconcile|colour)/);
  });

  it('a policy naming an activity type the account lacks: a warning in the CLI, the log and the report, saying what is lost', async () => {
    const policyFile = join(c.dir, 'emial-policy.yaml');
    writeFileSync(policyFile, readFileSync('config/policy.yaml', 'utf8').replace('match: [{ activityTypes: [call, meeting, email], openDeal: true }]', 'match: [{ activityTypes: [call, meeting, emial], openDeal: true }]'));
    const reports = join(c.dir, 'emial-reports');
    const r = await c.cli(['report', '--policy', policyFile], { CADENCE_REPORT_DIR: reports });
    expect(r.code, r.stderr).toBe(0);
    const en = 'Activity type "emial (did you mean "email"?)" (categories.operational.match[0].activityTypes) does not exist or is inactive in Pipedrive: operational touchpoints of that type are not counted';
    expect(r.stdout).toContain(`warning: ${en}`);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { code?: string; msg: string })).toContainEqual(
      expect.objectContaining({ code: 'policy_type_not_counted', msg: expect.stringContaining(en) }),
    );
    const report = JSON.parse(readFileSync(join(reports, 'latest', 'report.json'), 'utf8')) as { run: { warnings: string[] } };
    expect(report.run.warnings).toContainEqual(expect.stringContaining('O tipo de atividade "emial (did you mean "email"?)"'));
    const doctor = await c.cli(['doctor', '--policy', policyFile]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ activity type "emial" does not exist/);
  });

  it('2 (configuration): schedule with a cron expression out of range says so in plain words', async () => {
    const r = await c.cli(['schedule'], { CADENCE_SCHEDULE: '61 2 * * *' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('CADENCE_SCHEDULE: the minute "61" is not valid (allowed: 0–59)');
  });

  it.each(['sync', 'run-once'])('1 (failed): cadence %s with the Redis state store unreachable names host:port and CADENCE_STATE_URL', async (name) => {
    const r = await c.cli([name], { CADENCE_STATE_URL: 'redis://127.0.0.1:6392' });
    expect(r.code, r.stderr).toBe(1);
    expect(humanLines(r)).toContain('cannot reach the Redis state store at 127.0.0.1:6392 (CADENCE_STATE_URL): connection refused');
    expect(humanLines(r)).not.toMatch(/throwOnConnectError|Error:/);
  });

  it.each(['doctor', 'setup', 'sync', 'plan', 'apply', 'report', 'run-once'])('3 (credentials): cadence %s with a token Pipedrive rejects', async (name) => {
    const r = await c.cli([name], { PIPEDRIVE_API_TOKEN: 'not-the-right-token' });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(3);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/PIPEDRIVE_API_TOKEN/);
    expect(humanLines(r)).not.toMatch(/PipedriveAuthError|Error:/);
  });

  it('3 (credentials): schedule with a rejected token stops at start with the fix, not at 02:00', async () => {
    const started = Date.now();
    const r = await c.cli(['schedule'], { PIPEDRIVE_API_TOKEN: 'not-the-right-token' });
    expect(r.code, r.stderr).toBe(3);
    expect(humanLines(r)).toContain('PIPEDRIVE_API_TOKEN');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('1 (failed): schedule with a report folder it cannot write stops at start, naming CADENCE_REPORT_DIR', async () => {
    const r = await c.cli(['schedule'], { CADENCE_REPORT_DIR: '/proc/cadence-reports' });
    expect(r.code, r.stderr).toBe(1);
    expect(humanLines(r)).toMatch(/cannot create the folder "\/proc\/cadence-reports".*CADENCE_REPORT_DIR/);
  });

  it('doctor checks the state store (probe key), the schedule and the report folder', async () => {
    const ok = await c.cli(['doctor']);
    expect(ok.stdout).toMatch(/✓ sqlite state store answers \(write, read and delete of a probe key\)/);
    expect(ok.stdout).toMatch(/✓ schedule "0 2 \* \* \*" \(America\/Sao_Paulo\): next run /);
    expect(ok.stdout).toMatch(/✓ report folder .* is writable/);
    const bad = await c.cli(['doctor'], { CADENCE_STATE_URL: 'redis://127.0.0.1:6393', CADENCE_REPORT_DIR: '/proc/x', CADENCE_SCHEDULE: '0 2 * * 9' });
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stdout).toMatch(/✗ cannot reach the Redis state store at 127\.0\.0\.1:6393 \(CADENCE_STATE_URL\)/);
    expect(bad.stdout).toMatch(/✗ environment: CADENCE_SCHEDULE: the week day "9" is not valid/);
    expect(bad.stdout).toMatch(/✗ cannot create the folder "\/proc\/x"/);
  });

  it.each(['apply', 'run-once'])('5 (write cap): cadence %s with a plan larger than CADENCE_MAX_WRITES writes nothing', async (name) => {
    c.sandbox.clearWrites();
    const r = await c.cli([name], { CADENCE_MAX_WRITES: '1' });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(5);
    expect(r.stdout).toMatch(/more than the cap of 1/);
    expect(c.sandbox.writes().filter((w) => w.method !== 'GET')).toEqual([]);
  });

  describe('6 (report not written)', () => {
    const unwritable = (): Array<[string, string]> => {
      const file = join(c.dir, 'a-file');
      writeFileSync(file, 'not a folder');
      return [
        ['a path through a file (ENOTDIR)', join(file, 'reports')],
        ['a folder under /proc', '/proc/cadence-reports/x'],
      ];
    };
    it.each(['report', 'run-once'])('cadence %s: its own code, the folder and CADENCE_REPORT_DIR named, no stack', async (name) => {
      for (const [, dir] of unwritable()) {
        const started = Date.now();
        const r = await c.cli([name, '--dry-run'].filter((a) => name === 'run-once' || a !== '--dry-run'), { CADENCE_REPORT_DIR: dir });
        const out = `${r.stdout}\n${r.stderr}`;
        expect(r.code, out).toBe(6);
        expect(out).toContain('CADENCE_REPORT_DIR');
        expect(out).not.toMatch(/\n\s+at |\\n\s+at /);
        expect(humanLines(r)).not.toMatch(/Error:/);
        expect(Date.now() - started).toBeLessThan(30_000);
      }
    });
  });
});
