/**
 * In-process lock backend for the memory:// store and for tests. Atomic because JavaScript runs one
 * operation at a time; it cannot coordinate separate processes (neither can a memory store).
 */
import type { LockBackend } from './lock.js';

export function memoryLockBackend({ now = () => Date.now() }: { now?: () => number } = {}): LockBackend {
  const held = new Map<string, { owner: string; expiresAt: number }>();
  const live = (name: string) => {
    const entry = held.get(name);
    return entry && entry.expiresAt > now() ? entry : undefined;
  };
  return {
    kind: 'memory',
    async tryAcquire(name, owner, ttlMs) {
      if (live(name)) return false;
      held.set(name, { owner, expiresAt: now() + ttlMs });
      return true;
    },
    async renew(name, owner, ttlMs) {
      const entry = live(name);
      if (entry?.owner !== owner) return false;
      entry.expiresAt = now() + ttlMs;
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
  };
}
