/**
 * What a state store must offer for leased locks (src/store/lock.ts): one implementation per backend
 * (lock-redis.ts, lock-postgres.ts, lock-sqlite.ts, lock-memory.ts), picked by lock-for-store.ts.
 */
export type LockBackendKind = 'redis' | 'postgres' | 'sqlite' | 'memory';

/** The three atomic operations a store must offer. `name` is the lock's name; keys/tables are the backend's. */
export interface LockBackend {
  readonly kind: LockBackendKind;
  /** Takes the lock for `owner` if it is free or its lease has expired. True when `owner` now holds it. */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease to `ttlMs` from now, only while `owner` still holds an unexpired lease. */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lock, only if `owner` holds it. */
  release(name: string, owner: string): Promise<boolean>;
  /** The owner of the unexpired lease, or null (diagnostics and tests). */
  holder(name: string): Promise<string | null>;
  /** The unexpired lease: who holds it and until when (epoch ms), or null. For the message of a waiting run. */
  lease?(name: string): Promise<{ owner: string; expiresAt: number } | null>;
}
