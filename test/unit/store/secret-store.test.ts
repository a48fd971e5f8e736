/**
 * Secrets at rest on every backend: an OAuth refresh token stored through the encrypted SecretStore is
 * not readable in the raw store (SQLite file and WAL bytes, Redis values, PostgreSQL rows), decrypts,
 * survives a key rotation (`reencrypt`, what `cadence rotate-key` runs), and is refused without a key.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import {
  EncryptedSecret,
  SecretKeyMissingError,
  SecretUnreadableError,
  encryptedSecretStore,
  secretKeyId,
  secretKeyring,
} from '../../../src/store/secret-store.js';

const logger = createLogger({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'cadence-secrets-'));
const RUN = `sec${process.pid}_${Date.now()}`;
const TABLE = 'cadence_state_test';

/** Shaped like a Pipedrive OAuth refresh token: <company id>:<user id>:<40 hex>. */
const REFRESH_TOKEN = '13374242:9001337:5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
const KEY_A = Buffer.alloc(32, 0xa1).toString('base64');
const KEY_B = Buffer.alloc(32, 0xb2).toString('base64');
const ringA = secretKeyring({ current: KEY_A });
const ringB = secretKeyring({ current: KEY_B, previous: [KEY_A] });
const idA = secretKeyId(Buffer.from(KEY_A, 'base64'));
const idB = secretKeyId(Buffer.from(KEY_B, 'base64'));

const BACKENDS: Array<[string, string]> = [
  ['sqlite', `sqlite://${join(dir, 'state.sqlite')}`],
  ['redis', 'redis://127.0.0.1:6379'],
  ['postgres', 'postgres://postgres@127.0.0.1:5432/test'],
  ['memory', 'memory://'],
];

/** Everything the backend holds for this namespace, as raw text: what someone with the database sees. */
async function rawDump(store: StateStore): Promise<string> {
  const b = store.backend;
  switch (b.kind) {
    case 'sqlite':
      // The bytes on disk: the database file and its write-ahead log.
      return readdirSync(dir)
        .filter((f) => f.startsWith('state.sqlite'))
        .map((f) => readFileSync(join(dir, f)).toString('latin1'))
        .join('\n');
    case 'postgres':
      return JSON.stringify(await b.query(`SELECT key, value FROM ${TABLE} WHERE key LIKE $1`, [`${RUN}:%`]));
    case 'redis': {
      const client = b.client as { keys(p: string): Promise<string[]>; get(k: string): Promise<string | null> };
      const keys = await client.keys(`${RUN}::*`);
      return JSON.stringify(await Promise.all(keys.map(async (k) => [k, await client.get(k)])));
    }
    case 'memory':
      return JSON.stringify([...b.map.entries()]);
  }
}

/** The stored record of one secret, read beside the store (not through it). */
async function rawRecord(store: StateStore, company: string, name: string): Promise<unknown> {
  return store.keyv.get(`c:${company}:secret:${name}`);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(BACKENDS)('encrypted secret store: %s', (kind, url) => {
  let store: StateStore;
  let n = 0;
  const company = () => `acme-${kind}-${++n}`;

  beforeAll(async () => {
    store = await openStateStore(url, logger, { namespace: RUN, table: TABLE });
    return async () => {
      await store.clearNamespace();
      await store.close();
    };
  });

  it('stores an OAuth refresh token encrypted: the raw store never holds the plaintext, and it reads back', async () => {
    const c = company();
    const secrets = encryptedSecretStore(store, c, ringA);
    await secrets.set('oauth:refresh_token', REFRESH_TOKEN);
    expect(await secrets.get('oauth:refresh_token')).toBe(REFRESH_TOKEN);

    const raw = await rawDump(store);
    expect(raw).toContain(`c:${c}:secret:oauth:refresh_token`);
    for (const form of [REFRESH_TOKEN, '5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c', Buffer.from(REFRESH_TOKEN).toString('base64'), KEY_A]) {
      expect(raw).not.toContain(form);
    }
    const record = EncryptedSecret.parse(await rawRecord(store, c, 'oauth:refresh_token'));
    expect(record).toMatchObject({ v: 1, alg: 'A256GCM', kid: idA });
    expect(Buffer.from(record.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(record.tag, 'base64')).toHaveLength(16);
    expect(await secrets.names()).toEqual(['oauth:refresh_token']);
  });

  it('uses a fresh IV on every write: the same token twice gives two different ciphertexts', async () => {
    const c = company();
    const secrets = encryptedSecretStore(store, c, ringA);
    await secrets.set('webhook:password', 'hunter2-hunter2');
    const first = EncryptedSecret.parse(await rawRecord(store, c, 'webhook:password'));
    await secrets.set('webhook:password', 'hunter2-hunter2');
    const second = EncryptedSecret.parse(await rawRecord(store, c, 'webhook:password'));
    expect(second.iv).not.toBe(first.iv);
    expect(second.ct).not.toBe(first.ct);
  });

  it('decrypts after a key rotation, and re-encrypts everything under the new key', async () => {
    const c = company();
    const before = encryptedSecretStore(store, c, ringA);
    await before.set('oauth:refresh_token', REFRESH_TOKEN);
    await before.set('oauth:access_token', 'v1u:AQIBAHj-access-token-shaped-value');

    // New key current, old key previous: reads work before the re-encryption.
    const during = encryptedSecretStore(store, c, ringB);
    expect(await during.get('oauth:refresh_token')).toBe(REFRESH_TOKEN);
    expect(await during.reencrypt()).toEqual({ keyId: idB, reencrypted: 2, alreadyCurrent: 0 });
    expect(await during.reencrypt()).toEqual({ keyId: idB, reencrypted: 0, alreadyCurrent: 2 });
    expect(EncryptedSecret.parse(await rawRecord(store, c, 'oauth:refresh_token')).kid).toBe(idB);

    // The old key is retired: the new one alone reads everything…
    const after = encryptedSecretStore(store, c, secretKeyring({ current: KEY_B }));
    expect(await after.get('oauth:refresh_token')).toBe(REFRESH_TOKEN);
    expect(await after.get('oauth:access_token')).toBe('v1u:AQIBAHj-access-token-shaped-value');
    // …and the old one alone no longer can, with a message naming the key id, never the value.
    const stale = encryptedSecretStore(store, c, ringA);
    const err = await stale.get('oauth:refresh_token').catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SecretUnreadableError);
    expect((err as Error).message).toBe(
      `the secret "oauth:refresh_token" of company "${c}" was encrypted with key id ${idB}, which is neither CADENCE_SECRET_KEY nor in CADENCE_SECRET_KEY_PREVIOUS`,
    );
    expect(await rawDump(store)).not.toContain(REFRESH_TOKEN);
  });

  it('refuses to store a secret without CADENCE_SECRET_KEY, and stores nothing', async () => {
    const c = company();
    const none = encryptedSecretStore(store, c, secretKeyring({}));
    const err = await none.set('oauth:refresh_token', REFRESH_TOKEN).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SecretKeyMissingError);
    expect((err as Error).message).toMatch(/^refusing to store the secret "oauth:refresh_token" of company "acme-.*" unencrypted: set CADENCE_SECRET_KEY to 32 random bytes in base64/);
    expect((err as Error).message).not.toContain(REFRESH_TOKEN);
    expect(await store.keysWithPrefix(`c:${c}:secret:`)).toEqual([]);
    expect(await rawDump(store)).not.toContain(REFRESH_TOKEN);

    // A value stored earlier cannot be read without the key either; the message says what to set.
    await encryptedSecretStore(store, c, ringA).set('oauth:refresh_token', REFRESH_TOKEN);
    await expect(none.get('oauth:refresh_token')).rejects.toThrow(/key id [0-9a-f]{16}, which is not configured: set CADENCE_SECRET_KEY/);
    await expect(none.reencrypt()).rejects.toThrow(SecretKeyMissingError);
  });

  it('binds a value to its company and name: a copied ciphertext does not decrypt', async () => {
    const c = company();
    const other = company();
    await encryptedSecretStore(store, c, ringA).set('oauth:refresh_token', REFRESH_TOKEN);
    const record = await rawRecord(store, c, 'oauth:refresh_token');
    await store.keyv.set(`c:${other}:secret:oauth:refresh_token`, record);
    await store.keyv.set(`c:${c}:secret:webhook:password`, record);
    await expect(encryptedSecretStore(store, other, ringA).get('oauth:refresh_token')).rejects.toThrow(/does not decrypt with key id .*: it was altered or copied/);
    await expect(encryptedSecretStore(store, c, ringA).get('webhook:password')).rejects.toThrow(SecretUnreadableError);
  });

  it('deletes a secret, and only its company sees its names', async () => {
    const c = company();
    const secrets = encryptedSecretStore(store, c, ringA);
    await secrets.set('a', 'one-value');
    await secrets.set('b', 'two-value');
    await encryptedSecretStore(store, `${c}x`, ringA).set('z', 'other-company');
    await secrets.delete('a');
    expect(await secrets.get('a')).toBeUndefined();
    expect(await secrets.names()).toEqual(['b']);
    await expect(secrets.set('../etc', 'x')).rejects.toThrow(/invalid secret name/);
  });
});

describe('secretKeyring', () => {
  it('names keys by a stable id and refuses a key that is not 32 bytes, without echoing it', () => {
    expect(ringB.current?.id).toBe(idB);
    expect([...ringB.byId.keys()]).toEqual([idB, idA]);
    expect(idA).toMatch(/^[0-9a-f]{16}$/);
    const short = Buffer.alloc(16, 3).toString('base64');
    expect(() => secretKeyring({ current: short })).toThrow(/CADENCE_SECRET_KEY: expected 32 bytes in base64, got 16 bytes/);
    expect(() => secretKeyring({ current: short })).not.toThrow(new RegExp(short.replace(/[+/=]/g, '.')));
  });
});
