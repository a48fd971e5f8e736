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

/** Pipedrive's burst window (PIPEDRIVE.md §6.4: a rolling 2-second window). */
export const BURST_WINDOW_MS = 2000;
/** Share of the advertised burst limit we send within one window: close to the limit, never over it. */
export const BURST_SHARE = 0.94;

/**
 * How long the next request should wait, from the server's view of the window.
 * - After a 429 everybody waits until the pause ends.
 * - When the server's headroom (remaining minus our requests in flight) is gone — someone else is spending
 *   this token's window too — wait for the reset.
 * Steady pacing is `slidingDelayMs`'s job (it leaves 6 % of the window free); this rule only catches
 * traffic we cannot see, so it must not fire on our own in-flight requests at the pace we chose.
 */
export function paceDelayMs(state: WindowState, nowMs: number, inFlight: number): number {
  if (nowMs < state.pausedUntilMs) return state.pausedUntilMs - nowMs;
  if (state.remaining === undefined || state.resetAtMs === undefined || nowMs >= state.resetAtMs) return 0;
  if (state.remaining - inFlight <= 0) return state.resetAtMs - nowMs;
  return 0;
}

/**
 * How long the next request should wait so that our own sends within any window stay under
 * `BURST_SHARE` of the limit: with the send times of the last window (oldest first), wait until the
 * oldest one that must leave the window has left it. This paces a long run at ~94 % of the limit
 * instead of bursting into a 429.
 */
export function slidingDelayMs(sentAtMs: readonly number[], nowMs: number, limit: number | undefined, windowMs = BURST_WINDOW_MS): number {
  if (limit === undefined) return 0;
  const allowed = Math.max(1, Math.floor(limit * BURST_SHARE));
  const recent = sentAtMs.filter((t) => t > nowMs - windowMs);
  if (recent.length < allowed) return 0;
  return recent[recent.length - allowed]! + windowMs - nowMs;
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
  /** When our requests of the last window were sent (oldest first). */
  private sent: number[] = [];
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
      const now = this.opts.now();
      this.sent = this.sent.filter((t) => t > now - BURST_WINDOW_MS);
      const delay = Math.max(paceDelayMs(this.state, now, this.active - 1), slidingDelayMs(this.sent, now, this.state.limit));
      if (delay <= 0) {
        this.sent.push(now);
        break;
      }
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
