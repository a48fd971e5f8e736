import type { LockBackend } from './lock-backend.js';
import { systemClock, type Clock } from '../domain/clock.js';
/**
 * In-process lock backend for the memory:// store and for tests. Atomic because JavaScript runs one
 * operation at a time; it cannot coordinate separate processes (neither can a memory store).
 */

export interface MemoryLockOptions {
  clock?: Pick<Clock, 'now'>;
  /** Where leases live; pass the memory store's map so every user of that store shares the locks. */
  map?: Map<string, unknown>;
}

type Entry = { owner: string; expiresAt: number };
const PREFIX = 'lock\u0000';

export function memoryLockBackend({ clock = systemClock(), map = new Map() }: MemoryLockOptions = {}): LockBackend {
  // Keys carry a NUL prefix so they cannot collide with keyv's namespaced keys in a shared map.
  const held = {
    get: (name: string) => map.get(PREFIX + name) as Entry | undefined,
    set: (name: string, entry: Entry) => map.set(PREFIX + name, entry),
    delete: (name: string) => map.delete(PREFIX + name),
  };
  const live = (name: string) => {
    const entry = held.get(name);
    return entry && entry.expiresAt > clock.now() ? entry : undefined;
  };
  return {
    kind: 'memory',
    async tryAcquire(name, owner, ttlMs) {
      if (live(name)) return false;
      held.set(name, { owner, expiresAt: clock.now() + ttlMs });
      return true;
    },
    async renew(name, owner, ttlMs) {
      const entry = live(name);
      if (entry?.owner !== owner) return false;
      entry.expiresAt = clock.now() + ttlMs;
      return true;
    },
    async release(name, owner) {
      if (held.get(name)?.owner !== owner) return false;
      held.delete(name);
      return true;
    },
    async holder(name) {
      return live(name)?.owner ?? null;
    },
    async lease(name) {
      const entry = live(name);
      return entry ? { owner: entry.owner, expiresAt: entry.expiresAt } : null;
    },
  };
}
