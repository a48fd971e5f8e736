/**
 * Readiness for `/readyz`: ready when the latest run succeeded and did so recently. Pure: the caller
 * keeps the last outcomes and passes the clock.
 */

export interface Readiness {
  ready: boolean;
  reason: string;
}

export interface RunHistory {
  /** Epoch ms of the latest successful run's end, or null when none succeeded yet. */
  lastSuccessAt: number | null;
  /** The latest failed run, when it came after the latest success. */
  lastFailure: { at: number; reason: string } | null;
}

export function assessReadiness(history: RunHistory, nowMs: number, maxAgeMs: number): Readiness {
  const { lastSuccessAt, lastFailure } = history;
  if (lastFailure && (lastSuccessAt === null || lastFailure.at >= lastSuccessAt)) {
    return { ready: false, reason: `the latest run failed at ${new Date(lastFailure.at).toISOString()}: ${lastFailure.reason}` };
  }
  if (lastSuccessAt === null) return { ready: false, reason: 'no run has succeeded yet' };
  const ageMs = nowMs - lastSuccessAt;
  if (ageMs > maxAgeMs) {
    return {
      ready: false,
      reason: `the latest successful run finished ${Math.round(ageMs / 60_000)} min ago, longer than the allowed ${Math.round(maxAgeMs / 60_000)} min`,
    };
  }
  return { ready: true, reason: `the latest run succeeded at ${new Date(lastSuccessAt).toISOString()}` };
}
