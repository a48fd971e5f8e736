import type { Clock } from '../../../src/domain/clock.js';
/** A clock for tests: time moves only when the test says so, and due timers fire in order. */

export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, in order, letting async work settle after each. */
  advance(ms: number): Promise<void>;
  /** Advances to the next pending timer (if any) and fires it. */
  advanceToNextTimer(): Promise<boolean>;
  /** Moves time forward without firing anything (a suspended host, a clock step); timers fire late on the next advance. */
  jump(ms: number): void;
  /** Number of timers waiting to fire. */
  pending(): number;
}

/** Lets promise chains and already-resolved I/O callbacks run (no wall-clock wait). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function manualClock(startMs: number): ManualClock {
  let now = startMs;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const nextDue = () => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of timers) if (!best || entry[1].at < best[1].at || (entry[1].at === best[1].at && entry[0] < best[0])) best = entry;
    return best;
  };
  const clock: ManualClock = {
    now: () => now,
    setTimer(ms, fn) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return () => timers.delete(id);
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const due = nextDue();
        if (!due || due[1].at > target) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await settle();
      }
      now = target;
      await settle();
    },
    async advanceToNextTimer() {
      await settle();
      const due = nextDue();
      if (!due) return false;
      timers.delete(due[0]);
      now = Math.max(now, due[1].at);
      due[1].fn();
      await settle();
      return true;
    },
    jump(ms) {
      now += ms;
    },
    pending: () => timers.size,
  };
  return clock;
}
