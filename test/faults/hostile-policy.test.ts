/**
 * A hostile (or mistaken) policy: every cadence shortened to one day and reminders for every tier on a
 * company of 6,000 clients, so the plan asks for more than 10,000 writes; and a forced tiny write cap on a normal night. The write cap must
 * refuse the plan before anything is written: exit code 5 from `cadence apply`, the reason on the
 * terminal, no request that writes, and no intent recorded in the ledger.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPANY, startCompany, type FaultCompany } from './support/company.js';

const NOW = new Date();
let c: FaultCompany | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

/**
 * The shipped policy with every cadence rule of every tier due after one day, and reminders for every tier
 * (one per client per night, docs/policy.md §10.4: a follow-up and a flag update for nearly every client).
 */
function hostilePolicy(dir: string): string {
  const text = readFileSync('config/policy.yaml', 'utf8')
    .replace(/(\{ days: )\d+/g, '$11')
    .replace(/createForTiers: \[3, 4\]/, 'createForTiers: [1, 2, 3, 4]');
  expect(text.match(/\{ days: 1/g)?.length).toBeGreaterThanOrEqual(15);
  expect(text).toContain('createForTiers: [1, 2, 3, 4]');
  const file = join(dir, 'hostile-policy.yaml');
  writeFileSync(file, text);
  return file;
}

async function expectNothingWritten(company: FaultCompany): Promise<void> {
  expect(company.sandbox.writes()).toEqual([]);
  const store = await company.openStore();
  try {
    const state = store.company(COMPANY);
    expect(await state.ledger.keys()).toEqual([]);
    expect(await state.audit.count()).toBe(0);
  } finally {
    await store.close();
  }
}

describe('the write cap against a hostile policy', () => {
  it('a 1-day cadence for every rule on 6,000 clients (> 10,000 writes): refused with exit 5, nothing written', async () => {
    c = await startCompany(NOW, { scale: { organizations: 6_000, personsPerOrg: 1, dealsPerOrg: 1, activitiesPerOrg: 2 } });
    const policyFile = hostilePolicy(c.dir);
    const r = await c.cli(['apply', '--policy', policyFile]);
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 5, signal: null });
    const refused = /apply refused: the plan has (\d+) writes, more than the cap of 500/.exec(r.stdout);
    expect(refused, r.stdout).not.toBeNull();
    expect(Number(refused![1])).toBeGreaterThan(10_000);
    await expectNothingWritten(c);

    // The nightly job refuses it the same way, with the same exit code (the run is partial, not failed, and
    // the refusal is its warning).
    const night = await c.cli(['run-once', '--policy', policyFile]);
    expect(night.code, night.stderr).toBe(5);
    expect(night.stdout).toMatch(/apply refused: the plan has \d{5,} writes, more than the cap of 500/);
    await expectNothingWritten(c);
  });

  it('a forced tiny CADENCE_MAX_WRITES on a normal night: refused with exit 5, nothing written; --max-writes likewise', async () => {
    c = await startCompany(NOW);
    const r = await c.cli(['apply'], { CADENCE_MAX_WRITES: '3' });
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 5, signal: null });
    expect(r.stdout).toMatch(/apply refused: the plan has \d+ writes, more than the cap of 3/);
    await expectNothingWritten(c);

    const flag = await c.cli(['apply', '--no-sync', '--max-writes', '10']);
    expect(flag.code, flag.stderr).toBe(5);
    expect(flag.stdout).toMatch(/more than the cap of 10/);
    await expectNothingWritten(c);
  });
});
