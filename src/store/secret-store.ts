/**
 * Secrets at rest: OAuth tokens and webhook credentials kept in the state store, per company.
 *
 * `SecretStore` is the one interface every part that keeps a credential goes through. The
 * implementation here encrypts with AES-256-GCM under CADENCE_SECRET_KEY before anything reaches
 * SQLite, Redis or PostgreSQL:
 *
 *   key  c:<companyId>:secret:<name>
 *   value { v: 1, alg: "A256GCM", kid, iv, ct, tag }     (base64 fields)
 *
 * - `iv` is 12 random bytes, fresh on every write (GCM must never reuse an IV under one key).
 * - The additional authenticated data is `cadence-secret:v1:<companyId>:<name>`: a value copied to
 *   another company or another name fails to decrypt instead of being read as that secret.
 * - `kid` names the key that encrypted the value (the first 16 hex digits of the key's SHA-256, which
 *   says nothing about the key), so the key can be rotated: CADENCE_SECRET_KEY encrypts, the keys in
 *   CADENCE_SECRET_KEY_PREVIOUS still decrypt, and `reencrypt()` (`cadence rotate-key`) moves every
 *   value to the current key.
 * - Without a key, `set` refuses (nothing is stored in clear) and `get` of a stored value says which
 *   key id it needs. Errors name the secret and the key id, never a value.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type Keyv from 'keyv';

export interface SecretStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** An encrypted store also lists its names and re-encrypts under the current key (`cadence rotate-key`). */
export interface EncryptedSecretStore extends SecretStore {
  /** Names of the stored secrets, sorted. */
  names(): Promise<string[]>;
  /** Re-encrypts every secret whose key id is not the current key's. */
  reencrypt(): Promise<ReencryptResult>;
  /** Each stored secret's key id and whether it decrypts with the key ring (for `doctor`); never the value. */
  inspect(): Promise<SecretStatus[]>;
}

export interface SecretStatus {
  name: string;
  /** Key id of the stored value, or null when it is not an encrypted value. */
  keyId: string | null;
  /** Under CADENCE_SECRET_KEY (not only a previous key). */
  current: boolean;
  /** Why it cannot be read, when it cannot. */
  problem: string | null;
}

export interface ReencryptResult {
  keyId: string;
  /** Secrets moved to the current key. */
  reencrypted: number;
  /** Secrets that already were under it. */
  alreadyCurrent: number;
}

/** The keys a store works with: the current one encrypts, every one decrypts. */
export interface SecretKeyring {
  current: { id: string; key: Buffer } | null;
  /** Key id → key, current and previous. */
  byId: ReadonlyMap<string, Buffer>;
}

/** No CADENCE_SECRET_KEY: a secret cannot be stored (or read back). */
export class SecretKeyMissingError extends Error {
  override readonly name = 'SecretKeyMissingError';
}

/** A stored value that cannot be decrypted: unknown key id, wrong key, or altered. */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
}

export const EncryptedSecret = z.object({
  v: z.literal(1),
  alg: z.literal('A256GCM'),
  kid: z.string().regex(/^[0-9a-f]{16}$/),
  iv: z.string().min(1),
  ct: z.string(),
  tag: z.string().min(1),
});
export type EncryptedSecret = z.infer<typeof EncryptedSecret>;

const SECRET_PREFIX = 'secret:';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const HOW_TO_SET = 'set CADENCE_SECRET_KEY to 32 random bytes in base64 (`openssl rand -base64 32`)';

/** The key id of a key: first 16 hex digits of its SHA-256 (identifies the key, reveals nothing usable). */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update('cadence-secret-key:').update(key).digest('hex').slice(0, 16);
}

function decodeKey(b64: string, variable: string): Buffer {
  const key = Buffer.from(b64.trim(), 'base64');
  if (key.length !== 32) throw new SecretKeyMissingError(`${variable}: expected 32 bytes in base64, got ${key.length} bytes; ${HOW_TO_SET}`);
  return key;
}

/** Builds the key ring from CADENCE_SECRET_KEY (current) and CADENCE_SECRET_KEY_PREVIOUS (older keys), as base64. */
export function secretKeyring(keys: { current?: string | undefined; previous?: readonly string[] | undefined }): SecretKeyring {
  const byId = new Map<string, Buffer>();
  let current: SecretKeyring['current'] = null;
  if (keys.current) {
    const key = decodeKey(keys.current, 'CADENCE_SECRET_KEY');
    current = { id: secretKeyId(key), key };
    byId.set(current.id, key);
  }
  for (const old of keys.previous ?? []) {
    const key = decodeKey(old, 'CADENCE_SECRET_KEY_PREVIOUS');
    if (!byId.has(secretKeyId(key))) byId.set(secretKeyId(key), key);
  }
  return { current, byId };
}

function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new Error(`invalid secret name "${name.slice(0, 40)}": use letters, digits and . _ : - (up to 128 characters), e.g. "oauth:refresh_token"`);
  }
}

const aad = (companyId: string, name: string) => Buffer.from(`cadence-secret:v1:${companyId}:${name}`, 'utf8');

/** Encrypts one value under the ring's current key. */
export function encryptSecret(keyring: SecretKeyring, companyId: string, name: string, value: string): EncryptedSecret {
  if (!keyring.current) throw new SecretKeyMissingError(`refusing to store the secret "${name}" of company "${companyId}" unencrypted: ${HOW_TO_SET}`);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, iv);
  cipher.setAAD(aad(companyId, name));
  const ct = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return { v: 1, alg: 'A256GCM', kid: keyring.current.id, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Decrypts a stored value with whichever key of the ring encrypted it. */
export function decryptSecret(keyring: SecretKeyring, companyId: string, name: string, raw: unknown): string {
  const parsed = EncryptedSecret.safeParse(raw);
  if (!parsed.success) throw new SecretUnreadableError(`the stored secret "${name}" of company "${companyId}" is not an encrypted value (v1, A256GCM); store it again`);
  const stored = parsed.data;
  const key = keyring.byId.get(stored.kid);
  if (!key) {
    const hint = keyring.current ? 'neither CADENCE_SECRET_KEY nor in CADENCE_SECRET_KEY_PREVIOUS' : `not configured: ${HOW_TO_SET}`;
    throw new SecretUnreadableError(`the secret "${name}" of company "${companyId}" was encrypted with key id ${stored.kid}, which is ${hint}`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(stored.iv, 'base64'));
    decipher.setAAD(aad(companyId, name));
    decipher.setAuthTag(Buffer.from(stored.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(stored.ct, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretUnreadableError(`the secret "${name}" of company "${companyId}" does not decrypt with key id ${stored.kid}: it was altered or copied from elsewhere; store it again`);
  }
}

/** What the encrypted store needs of the state store: keyv and a listing of keys by prefix. */
export interface SecretBackend {
  keyv: Keyv;
  keysWithPrefix(prefix: string): Promise<string[]>;
}

/** The AES-256-GCM secret store of one company, over the state store (SQLite, Redis, PostgreSQL or memory). */
export function encryptedSecretStore(store: SecretBackend, companyId: string, keyring: SecretKeyring): EncryptedSecretStore {
  const scope = `c:${companyId}:${SECRET_PREFIX}`;
  const keyOf = (name: string) => `${scope}${name}`;

  async function names(): Promise<string[]> {
    return (await store.keysWithPrefix(scope)).map((k) => k.slice(scope.length)).sort();
  }

  return {
    async get(name) {
      checkName(name);
      const raw = await store.keyv.get(keyOf(name));
      if (raw === undefined || raw === null) return undefined;
      return decryptSecret(keyring, companyId, name, raw);
    },
    async set(name, value) {
      checkName(name);
      const ok = await store.keyv.set(keyOf(name), encryptSecret(keyring, companyId, name, value));
      if (ok === false) throw new Error(`state store: could not write the secret "${name}" of company "${companyId}"`);
    },
    async delete(name) {
      checkName(name);
      await store.keyv.delete(keyOf(name));
    },
    names,
    async inspect() {
      const out: SecretStatus[] = [];
      for (const name of await names()) {
        const raw = await store.keyv.get(keyOf(name));
        if (raw === undefined || raw === null) continue;
        const keyId = EncryptedSecret.safeParse(raw).data?.kid ?? null;
        let problem: string | null = null;
        try {
          decryptSecret(keyring, companyId, name, raw);
        } catch (err) {
          problem = (err as Error).message;
        }
        out.push({ name, keyId, current: keyId !== null && keyId === keyring.current?.id, problem });
      }
      return out;
    },
    async reencrypt() {
      if (!keyring.current) throw new SecretKeyMissingError(`cannot re-encrypt the secrets of company "${companyId}": ${HOW_TO_SET} (the new key), and CADENCE_SECRET_KEY_PREVIOUS to the old one`);
      const result: ReencryptResult = { keyId: keyring.current.id, reencrypted: 0, alreadyCurrent: 0 };
      for (const name of await names()) {
        const raw = await store.keyv.get(keyOf(name));
        if (raw === undefined || raw === null) continue;
        if (EncryptedSecret.safeParse(raw).data?.kid === keyring.current.id) {
          result.alreadyCurrent += 1;
          continue;
        }
        const plain = decryptSecret(keyring, companyId, name, raw);
        await store.keyv.set(keyOf(name), encryptSecret(keyring, companyId, name, plain));
        result.reencrypted += 1;
      }
      return result;
    },
  };
}
