/**
 * Pipedrive's two rate-limit layers (PIPEDRIVE.md §6): a per-token burst limit over a rolling 2-second
 * window (requests) and a daily token budget (cost per operation from §6.3). Wall-clock based
 * (performance.now), independent of the sandbox's data clock.
 */
export const BURST_WINDOW_MS = 2000;

export type Admission =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; reason: 'burst' | 'daily'; retryAfterSec: number; headers: Record<string, string> };

export class RateLimiter {
  private stamps: number[] = [];
  tokensSpent = 0;

  constructor(
    public burstLimit: number,
    public dailyTokenBudget: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.stamps.length && this.stamps[drop]! <= now - BURST_WINDOW_MS) drop++;
    if (drop > 0) this.stamps = this.stamps.slice(drop);
  }

  /** Seconds until the oldest request of the window leaves it (at least 1). */
  private resetSec(now: number): number {
    const oldest = this.stamps[0];
    if (oldest === undefined) return Math.ceil(BURST_WINDOW_MS / 1000);
    return Math.max(1, Math.ceil((oldest + BURST_WINDOW_MS - now) / 1000));
  }

  dailyRemaining(): number {
    return Math.max(0, this.dailyTokenBudget - this.tokensSpent);
  }

  /** Current headers without consuming anything (for 401s and admin views). */
  headers(remainingOverride?: number): Record<string, string> {
    const now = this.clock();
    this.prune(now);
    return {
      'x-ratelimit-limit': String(this.burstLimit),
      'x-ratelimit-remaining': String(remainingOverride ?? Math.max(0, this.burstLimit - this.stamps.length)),
      'x-ratelimit-reset': String(this.resetSec(now)),
      'x-daily-ratelimit-token-limit': String(this.dailyTokenBudget),
      'x-daily-ratelimit-token-remaining': String(this.dailyRemaining()),
    };
  }

  /** Admits one request of the given token cost, or says which limit refused it. */
  admit(cost: number): Admission {
    const now = this.clock();
    this.prune(now);
    if (this.stamps.length >= this.burstLimit) {
      const retryAfterSec = this.resetSec(now);
      return { ok: false, reason: 'burst', retryAfterSec, headers: this.headers(0) };
    }
    if (this.tokensSpent + cost > this.dailyTokenBudget) {
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      const retryAfterSec = Math.max(1, Math.ceil((midnight.getTime() - Date.now()) / 1000));
      const headers = this.headers();
      headers['x-daily-ratelimit-token-remaining'] = '0';
      return { ok: false, reason: 'daily', retryAfterSec, headers };
    }
    this.stamps.push(now);
    this.tokensSpent += cost;
    return { ok: true, headers: this.headers() };
  }

  reset(): void {
    this.stamps = [];
    this.tokensSpent = 0;
  }
}
