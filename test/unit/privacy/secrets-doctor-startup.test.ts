/**
 * `doctor` checks the secrets at rest (readable with the configured keys, none left without a key,
 * none under a retired key) and start-up refuses to run a company whose secrets it could not read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeDeployment } from '../../../src/app/deployment-runner.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { checkSecrets } from '../../../src/doctor/run-doctor.js';
import { createLogger } from '../../../src/log/logger.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import { encryptedSecretStore, secretKeyId, secretKeyring } from '../../../src/store/secret-store.js';

const logger = createLogger({ level: 'silent' });
const KEY_A = Buffer.alloc(32, 0x1a).toString('base64');
const KEY_B = Buffer.alloc(32, 0x2b).toString('base64');
const KEY_C = Buffer.alloc(32, 0x3c).toString('base64');
const TOKEN = '13374242:9001337:aa11bb22cc33dd44ee55ff6600112233445566ff';
const idA = secretKeyId(Buffer.from(KEY_A, 'base64'));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cadence-secrets-doctor-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('doctor: secrets at rest', () => {
  let store: StateStore;
  beforeAll(async () => {
    store = await openStateStore('memory://', logger);
    await encryptedSecretStore(store, 'acme', secretKeyring({ current: KEY_A })).set('oauth:refresh_token', TOKEN);
    return () => store.close();
  });
  const check = (keys: { current?: string; previous?: string[] }, company = 'acme') =>
    checkSecrets({ keyConfigured: keys.current !== undefined, store: encryptedSecretStore(store, company, secretKeyring(keys)) });

  it('is ok when every secret decrypts under CADENCE_SECRET_KEY', async () => {
    expect(await check({ current: KEY_A })).toEqual({ id: 'secrets', status: 'ok', detail: '1 secret(s) stored encrypted under CADENCE_SECRET_KEY (oauth:refresh_token)' });
  });

  it('fails when secrets are stored and no key is set, naming the key id to set, never the value', async () => {
    const c = await check({});
    expect(c).toMatchObject({ status: 'fail', detail: '1 secret(s) stored (oauth:refresh_token) but CADENCE_SECRET_KEY is not set: they cannot be read' });
    expect(c.fix).toContain(`key id ${idA}`);
    expect(JSON.stringify(c)).not.toContain(TOKEN);
  });

  it('warns while a secret is under a previous key, and fails when its key is gone', async () => {
    expect(await check({ current: KEY_B, previous: [KEY_A] })).toMatchObject({ status: 'warn', fix: 'run `cadence rotate-key`, then remove CADENCE_SECRET_KEY_PREVIOUS' });
    expect(await check({ current: KEY_C })).toMatchObject({ status: 'fail', detail: expect.stringContaining(`key id ${idA}, which is neither CADENCE_SECRET_KEY nor in CADENCE_SECRET_KEY_PREVIOUS`) });
  });

  it('is ok with nothing stored, and says a key is needed before OAuth or webhooks', async () => {
    expect(await check({}, 'empty')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/no secret stored; CADENCE_SECRET_KEY is not set, so none can be/) });
  });

  it('turns an unreachable store into a failed check', async () => {
    expect(await checkSecrets({ keyConfigured: true, store: { inspect: () => Promise.reject(new Error('cannot open the redis state store')) } })).toMatchObject({
      status: 'fail',
      detail: 'cannot read the secrets in the state store: cannot open the redis state store',
    });
  });
});

describe('start-up without CADENCE_SECRET_KEY', () => {
  it('refuses to run a company that has secrets stored, and runs one that has none', async () => {
    const url = `sqlite://${join(dir, 'startup.sqlite')}`;
    const store = await openStateStore(url, logger);
    await encryptedSecretStore(store, 'acme', secretKeyring({ current: KEY_A })).set('oauth:refresh_token', TOKEN);
    await store.close();
    const env = { PIPEDRIVE_API_TOKEN: 'tok_0123456789abcdef', PIPEDRIVE_COMPANY_DOMAIN: 'acme', CADENCE_STATE_URL: url, LOG_LEVEL: 'silent' };

    const err = await composeDeployment(env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([
      'environment: CADENCE_SECRET_KEY: missing: company "acme" has 1 secret(s) stored encrypted (OAuth tokens, webhook credentials); set it to the key they were stored with (`cadence doctor` shows its key id)',
    ]);

    const withKey = await composeDeployment({ ...env, CADENCE_SECRET_KEY: KEY_A });
    await withKey.close();
    const other = await composeDeployment({ ...env, PIPEDRIVE_COMPANY_DOMAIN: 'globex' });
    await other.close();
  });
});
