import type { LockBackend } from './lock-backend.js';
import { systemClock, type Clock } from '../domain/clock.js';
/**
 * Redis lock backend: `SET key owner NX PX ttl` takes the lock; renew and release are Lua scripts
 * that compare the owner and act in one step, so a worker whose lease expired can never extend or
 * delete the lease of the worker that took over. Redis expires the key itself: one clock, Redis's.
 */

/** The part of a node-redis v5 client (`@redis/client`, also `KeyvRedis#client`) this backend uses. */
export interface RedisLockClient {
  set(key: string, value: string, options: { condition: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  get(key: string): Promise<unknown>;
  pTTL?(key: string): Promise<unknown>;
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export function redisLockBackend(client: RedisLockClient, { prefix = 'cadence:lock:', clock = systemClock() }: { prefix?: string; clock?: Pick<Clock, 'now'> } = {}): LockBackend {
  const key = (name: string) => `${prefix}${name}`;
  return {
    kind: 'redis',
    async tryAcquire(name, owner, ttlMs) {
      return (await client.set(key(name), owner, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } })) === 'OK';
    },
    async renew(name, owner, ttlMs) {
      return Number(await client.eval(RENEW, { keys: [key(name)], arguments: [owner, String(ttlMs)] })) === 1;
    },
    async release(name, owner) {
      return Number(await client.eval(RELEASE, { keys: [key(name)], arguments: [owner] })) === 1;
    },
    async holder(name) {
      const value = await client.get(key(name));
      return typeof value === 'string' ? value : null;
    },
    async lease(name) {
      const [owner, ttl] = await Promise.all([client.get(key(name)), client.pTTL?.(key(name))]);
      const ms = Number(ttl);
      return typeof owner === 'string' && ms > 0 ? { owner, expiresAt: clock.now() + ms } : null;
    },
  };
}
