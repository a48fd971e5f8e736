/**
 * `cadence purge --company X` erases one company's mirror, ledger, audit log, run history, secrets,
 * run record and reports on every backend, and nothing of the other companies; `cadence rotate-key`
 * re-encrypts stored secrets under the new key. Both wait for nobody: a company whose lock is held is
 * left untouched and reported.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { purgeCompany, rotateSecretKey } from '../../../src/ops/privacy.js';
import { companyLockName } from '../../../src/ops/run-all-companies.js';
import { runRecordKey } from '../../../src/ops/run-record.js';
import { writeReports } from '../../../src/report/write-reports.js';
import { acquireLock } from '../../../src/store/lock.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import { EncryptedSecret, encryptedSecretStore, secretKeyId, secretKeyring } from '../../../src/store/secret-store.js';
import { buildFixture } from '../report/fixtures.js';

const run = promisify(execFile);
const logger = createLogger({ level: 'silent' });
const RUN = `purge${process.pid}_${Date.now()}`;
const KEY_A = Buffer.alloc(32, 0x0a).toString('base64');
const KEY_B = Buffer.alloc(32, 0x0b).toString('base64');
const REFRESH_TOKEN = '13374242:9001337:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-purge-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A company with something in every part of its state. */
async function populate(store: StateStore, companyId: string): Promise<void> {
  const state = store.company(companyId);
  await state.mirror.writePage('organization', {
    upserts: [{ id: 1, name: `${companyId} client`, ownerId: 1, address: null, addTime: '2026-01-01T00:00:00Z', updateTime: '2026-01-01T00:00:00Z', isDeleted: false, customFields: {} }],
  });
  await state.users.put([{ id: 1, name: 'Ana Souza', email: 'ana@example.com', active: true } as never]);
  await state.ledger.put('fup:1:strategic:2026-W47', { status: 'created', activityId: 9 });
  await state.audit.append({ kind: 'create', key: 'fup:1:strategic:2026-W47' });
  await state.runs.append({ runId: 'r1', kind: 'job', startedAt: '2026-11-20T02:00:00Z', finishedAt: null, status: 'running' });
  await encryptedSecretStore(store, companyId, secretKeyring({ current: KEY_A })).set('oauth:refresh_token', REFRESH_TOKEN);
  await store.keyv.set(runRecordKey(companyId), { companyId, status: 'succeeded' });
}

describe.each([
  ['sqlite', () => `sqlite://${join(dir, 'state.sqlite')}`],
  ['redis', () => 'redis://127.0.0.1:6379'],
  ['postgres', () => 'postgres://postgres@127.0.0.1:5432/test'],
  ['memory', () => 'memory://'],
])('purgeCompany: %s', (kind, url) => {
  let store: StateStore;
  beforeAll(async () => {
    store = await openStateStore(url(), logger, { namespace: `${RUN}_${kind}`, table: 'cadence_state_test' });
    return async () => {
      await store.clearNamespace();
      await store.close();
    };
  });

  it("removes every key of the company and its run record, and nothing of another company's", async () => {
    await populate(store, 'acme');
    await populate(store, 'acme2');
    const before = await store.keysWithPrefix('c:acme2:');
    expect((await store.keysWithPrefix('c:acme:')).length).toBeGreaterThan(5);

    const reportDir = join(dir, `reports-${kind}`, 'acme');
    const r = await purgeCompany({ store, companyId: 'acme', reportDir, logger });
    expect(r).toMatchObject({ companyId: 'acme', status: 'done' });
    expect(await store.keysWithPrefix('c:acme:')).toEqual([]);
    expect(await store.keyv.get(runRecordKey('acme'))).toBeUndefined();
    expect((await store.company('acme').mirror.loadEntity('organization')).size).toBe(0);
    expect(await store.company('acme').ledger.keys()).toEqual([]);
    expect(await store.company('acme').runs.list()).toEqual([]);
    expect(await encryptedSecretStore(store, 'acme', secretKeyring({ current: KEY_A })).get('oauth:refresh_token')).toBeUndefined();

    // The other company is whole.
    expect((await store.keysWithPrefix('c:acme2:')).sort()).toEqual(before.sort());
    expect(await store.keyv.get(runRecordKey('acme2'))).toEqual({ companyId: 'acme2', status: 'succeeded' });
    expect(await encryptedSecretStore(store, 'acme2', secretKeyring({ current: KEY_A })).get('oauth:refresh_token')).toBe(REFRESH_TOKEN);
  });

  it('leaves a company alone while a run holds its lock', async () => {
    await populate(store, 'busy');
    const lease = await acquireLock(store, companyLockName('busy'), { ttlMs: 30_000, owner: 'the-nightly-job' });
    try {
      expect(await purgeCompany({ store, companyId: 'busy', reportDir: join(dir, 'none'), logger })).toEqual({ companyId: 'busy', status: 'locked' });
      expect((await store.keysWithPrefix('c:busy:')).length).toBeGreaterThan(5);
      expect(await rotateSecretKey({ store, companies: ['busy'], keyring: secretKeyring({ current: KEY_B, previous: [KEY_A] }), logger })).toEqual([
        { companyId: 'busy', status: 'locked' },
      ]);
    } finally {
      await lease?.release();
    }
  });
});

describe('purgeCompany: reports', () => {
  it("removes the company's run folders and latest, keeps another company's runs and unrelated files", async () => {
    const store = await openStateStore('memory://', logger);
    const fx = buildFixture();
    const reports = join(dir, 'shared-reports');
    const company = (id: string) => ({ ...fx, snapshot: { ...fx.snapshot, companyId: id } });
    await writeReports({ ...company('acme'), dir: reports, runId: 'acme-1', retention: 5, companyDomain: 'acme' });
    await writeReports({ ...company('other'), dir: reports, runId: 'other-1', retention: 5, companyDomain: 'other' });
    await writeReports({ ...company('acme'), dir: reports, runId: 'acme-2', retention: 5, companyDomain: 'acme' });
    await writeFile(join(reports, 'README.txt'), 'kept by the operator');
    const r = await purgeCompany({ store, companyId: 'acme', reportDir: reports, logger });
    expect(r).toMatchObject({ status: 'done', reportRuns: ['acme-1', 'acme-2'] });
    expect((await readdir(reports)).sort()).toEqual(['README.txt', 'other-1']);

    // The company's own folder (companies-file mode) goes entirely.
    const own = join(dir, 'reports-by-company', 'acme');
    await writeReports({ ...company('acme'), dir: own, runId: 'run-1', retention: 5, companyDomain: 'acme', latestMode: 'copy' });
    await purgeCompany({ store, companyId: 'acme', reportDir: own, logger });
    expect(existsSync(own)).toBe(false);
    await store.close();
  });
});

describe('the rotate-key and purge commands', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    run('npx', ['tsx', 'src/cli.ts', ...args], { env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env }, cwd: process.cwd() }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('re-encrypts under the new key, then purges only with --yes', async () => {
    const file = join(dir, 'cli.sqlite');
    const base = { CADENCE_STATE_URL: `sqlite://${file}`, PIPEDRIVE_COMPANY_DOMAIN: 'acme', CADENCE_REPORT_DIR: join(dir, 'cli-reports') };
    let store = await openStateStore(base.CADENCE_STATE_URL, logger);
    await encryptedSecretStore(store, 'acme', secretKeyring({ current: KEY_A })).set('oauth:refresh_token', REFRESH_TOKEN);
    await store.close();

    const noKey = await cli(['rotate-key'], base);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/CADENCE_SECRET_KEY: missing: set it to the NEW key/);

    const rotated = await cli(['rotate-key'], { ...base, CADENCE_SECRET_KEY: KEY_B, CADENCE_SECRET_KEY_PREVIOUS: KEY_A });
    expect(rotated.stdout).toContain(`acme: 1 secret(s) re-encrypted under key ${secretKeyId(Buffer.from(KEY_B, 'base64'))}, 0 already under it`);
    expect(rotated.code).toBe(0);
    expect(`${rotated.stdout}${rotated.stderr}`).not.toContain(KEY_B);

    store = await openStateStore(base.CADENCE_STATE_URL, logger);
    expect(EncryptedSecret.parse(await store.keyv.get('c:acme:secret:oauth:refresh_token')).kid).toBe(secretKeyId(Buffer.from(KEY_B, 'base64')));
    expect(await encryptedSecretStore(store, 'acme', secretKeyring({ current: KEY_B })).get('oauth:refresh_token')).toBe(REFRESH_TOKEN);
    await store.close();

    const unconfirmed = await cli(['purge', '--company', 'acme'], base);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/cannot be undone\.\nRun it again with --yes to confirm\. Nothing was changed\./);
    store = await openStateStore(base.CADENCE_STATE_URL, logger);
    expect(await store.keysWithPrefix('c:acme:')).toEqual(['c:acme:secret:oauth:refresh_token']);
    await store.close();

    const purged = await cli(['purge', '--company', 'acme', '--yes'], base);
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(/^acme: purged 1 state key\(s\)/);
    store = await openStateStore(base.CADENCE_STATE_URL, logger);
    expect(await store.keysWithPrefix('c:acme:')).toEqual([]);
    await store.close();
  });
});
