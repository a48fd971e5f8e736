/**
 * Client-side pacing (PIPEDRIVE.md §6.4, STYLE.md habit 2): bounded concurrency, plus a wait computed from
 * the burst-window headers of the last response, so a run slows down *before* Pipedrive answers 429.
 * `paceDelayMs` is the pure decision; `Throttle` is the small stateful shell around it.
 */
import type { RateLimitHeaders } from './rate-limit-headers.js';

export interface WindowState {
  limit?: number;
  remaining?: number;
  /** Epoch ms at which the current 2-s window resets, from `x-ratelimit-reset`. */
  resetAtMs?: number;
  /** Epoch ms until which nobody sends (set after a 429). */
  pausedUntilMs: number;
}

/**
 * How long the next request should wait.
 * - After a 429 everybody waits until the pause ends.
 * - When the window's headroom (remaining minus requests in flight) is down to the reserve (10 % of the
 *   limit, at least 1), wait for the reset.
 * - When under half the window is left, spread the remaining requests over the time to the reset.
 */
export function paceDelayMs(state: WindowState, nowMs: number, inFlight: number): number {
  if (nowMs < state.pausedUntilMs) return state.pausedUntilMs - nowMs;
  if (state.remaining === undefined || state.resetAtMs === undefined || nowMs >= state.resetAtMs) return 0;
  const limit = state.limit ?? Math.max(state.remaining, 1);
  const reserve = Math.max(1, Math.ceil(limit * 0.1));
  const headroom = state.remaining - inFlight;
  const untilReset = state.resetAtMs - nowMs;
  if (headroom <= reserve) return untilReset;
  if (headroom < limit / 2) return Math.floor(untilReset / (headroom - reserve + 1));
  return 0;
}

export interface ThrottleOptions {
  concurrency: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export class Throttle {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly state: WindowState = { pausedUntilMs: 0 };
  /** Total ms spent waiting for pacing (not for the concurrency bound). */
  pacedMs = 0;

  constructor(private readonly opts: ThrottleOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new Error(`concurrency must be a whole number ≥ 1 (CADENCE_CONCURRENCY), got ${opts.concurrency}`);
    }
  }

  /** Waits for a free slot and for the pacing delay; returns the function that frees the slot. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.opts.concurrency) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    // Recompute after every wait: other responses may have updated the window meanwhile.
    for (;;) {
      const delay = paceDelayMs(this.state, this.opts.now(), this.active - 1);
      if (delay <= 0) break;
      this.pacedMs += delay;
      await this.opts.sleep(delay);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter (active stays the same), else free it.
      if (next) next();
      else this.active -= 1;
    };
  }

  observe(rl: RateLimitHeaders, nowMs: number): void {
    if (rl.burstRemaining === undefined) return;
    this.state.remaining = rl.burstRemaining;
    if (rl.burstLimit !== undefined) this.state.limit = rl.burstLimit;
    this.state.resetAtMs = nowMs + (rl.burstResetSeconds ?? 2) * 1000;
  }

  /** After a burst 429 nobody sends until `ms` from now. */
  pause(ms: number, nowMs: number): void {
    this.state.pausedUntilMs = Math.max(this.state.pausedUntilMs, nowMs + ms);
  }

  snapshot(): Readonly<WindowState> {
    return { ...this.state };
  }
}
