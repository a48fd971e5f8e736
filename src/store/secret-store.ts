/**
 * Secrets kept in the state store, one company at a time: the OAuth access and refresh tokens the worker
 * renews itself (the environment only seeds the first refresh token). Values never go to a log.
 *
 * `createPlainSecretStore` keeps them unencrypted, under the company's own key prefix (`secret:<name>`),
 * in whichever backend CADENCE_STATE_URL names. Each `set` is one keyv write, so a value (for OAuth, the
 * access and refresh tokens together) is replaced whole or not at all.
 */
import type Keyv from 'keyv';
import { scopedKv, type Kv } from './kv.js';

export interface SecretStore { get(name: string): Promise<string | undefined>; set(name: string, value: string): Promise<void>; delete(name: string): Promise<void>; }

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(name)) throw new Error(`secret name "${name}" may only contain letters, digits and . _ : - (at most 100)`);
}

/** Plain (unencrypted) secrets of one company in a company-scoped key-value view. */
export function plainSecretStoreFromKv(kv: Kv): SecretStore {
  return {
    async get(name) {
      checkName(name);
      const v = await kv.get<unknown>(`secret:${name}`);
      return typeof v === 'string' ? v : undefined;
    },
    async set(name, value) {
      checkName(name);
      await kv.set(`secret:${name}`, value);
    },
    async delete(name) {
      checkName(name);
      await kv.delete([`secret:${name}`]);
    },
  };
}

/** Plain (unencrypted) secrets of `companyId`, beside its state (`c:<companyId>:secret:<name>`). */
export function createPlainSecretStore(keyv: Keyv, companyId: string): SecretStore {
  if (!/^[A-Za-z0-9._:-]+$/.test(companyId)) throw new Error(`company id "${companyId}" may only contain letters, digits and . _ : -`);
  return plainSecretStoreFromKv(scopedKv(keyv, `c:${companyId}:`));
}
