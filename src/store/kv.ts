/**
 * A company-scoped view of the keyv instance: every key is prefixed with `c:<companyId>:`, so one store
 * (one SQLite file, one Redis, one PostgreSQL table) serves several Pipedrive companies.
 */
import type Keyv from 'keyv';

export interface Kv {
  get<T>(key: string): Promise<T | undefined>;
  getMany<T>(keys: readonly string[]): Promise<Array<T | undefined>>;
  set(key: string, value: unknown): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
}

/** keyv's SQL adapters keep keys in VARCHAR(255): long caller keys are shortened to a stable hash. */
export const MAX_KEY_LENGTH = 200;

export function scopedKv(keyv: Keyv, prefix: string): Kv {
  const k = (key: string) => `${prefix}${key}`;
  return {
    async get<T>(key: string) {
      return (await keyv.get<T>(k(key))) ?? undefined;
    },
    async getMany<T>(keys: readonly string[]) {
      if (keys.length === 0) return [];
      const values = await keyv.getMany<T>(keys.map(k));
      return values.map((v) => (v === null ? undefined : v));
    },
    async set(key: string, value: unknown) {
      const ok = await keyv.set(k(key), value);
      if (ok === false) throw new Error(`state store: could not write ${key}`);
    },
    async delete(keys: readonly string[]) {
      if (keys.length === 0) return;
      await keyv.deleteMany(keys.map(k));
    },
  };
}
