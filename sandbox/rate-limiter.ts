/**
 * Pipedrive's two rate-limit layers (PIPEDRIVE.md §6): a per-token burst limit over a rolling 2-second
 * window (requests) and a daily token budget (cost per operation from §6.3). Wall-clock based
 * (performance.now), independent of the sandbox's data clock.
 */
export const BURST_WINDOW_MS = 2000;

export type Admission =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; reason: 'burst' | 'daily'; retryAfterSec: number; headers: Record<string, string> };

/**
 * Which headers the limiter sends. `observed`: the documented ones plus the daily-token headers clients
 * observe on real accounts (undocumented). `documented`: only what the rate-limiting page documents
 * (`x-ratelimit-limit/-remaining/-reset`, `x-daily-requests-left`), no `Retry-After` on 429s.
 */
export type RateLimitHeaderMode = 'observed' | 'documented';

export class RateLimiter {
  private stamps: number[] = [];
  tokensSpent = 0;
  /** POST/PUT/PATCH requests admitted today (`x-daily-requests-left` counts them down). */
  writesSpent = 0;

  constructor(
    public burstLimit: number,
    public dailyTokenBudget: number,
    private readonly clock: () => number = () => performance.now(),
    public readonly headerMode: RateLimitHeaderMode = 'observed',
    /** The 2019 fair-use limit: 10,000 POST/PUT requests per API token per day (PIPEDRIVE.md §6.5). */
    public dailyWriteRequests = 10_000,
  ) {}

  dailyRequestsLeft(): number {
    return Math.max(0, this.dailyWriteRequests - this.writesSpent);
  }

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
    const documented = {
      'x-ratelimit-limit': String(this.burstLimit),
      'x-ratelimit-remaining': String(remainingOverride ?? Math.max(0, this.burstLimit - this.stamps.length)),
      'x-ratelimit-reset': String(this.resetSec(now)),
    };
    if (this.headerMode === 'documented') return documented;
    return {
      ...documented,
      'x-daily-ratelimit-token-limit': String(this.dailyTokenBudget),
      'x-daily-ratelimit-token-remaining': String(this.dailyRemaining()),
    };
  }

  /** Admits one request of the given token cost (a write also counts against today's writes), or says which limit refused it. */
  admit(cost: number, isWrite = false): Admission {
    const now = this.clock();
    this.prune(now);
    if (this.stamps.length >= this.burstLimit) {
      const retryAfterSec = this.resetSec(now);
      return { ok: false, reason: 'burst', retryAfterSec, headers: this.headers(0) };
    }
    const writesOut = isWrite && this.writesSpent >= this.dailyWriteRequests;
    if (this.tokensSpent + cost > this.dailyTokenBudget || writesOut) {
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      const retryAfterSec = Math.max(1, Math.ceil((midnight.getTime() - Date.now()) / 1000));
      const headers = this.headers();
      if (this.headerMode === 'observed' && !writesOut) headers['x-daily-ratelimit-token-remaining'] = '0';
      return { ok: false, reason: 'daily', retryAfterSec, headers };
    }
    this.stamps.push(now);
    this.tokensSpent += cost;
    if (isWrite) this.writesSpent += 1;
    return { ok: true, headers: this.headers() };
  }

  reset(): void {
    this.stamps = [];
    this.tokensSpent = 0;
    this.writesSpent = 0;
  }
}
