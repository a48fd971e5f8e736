import { describe, expect, it } from 'vitest';
import { assessReadiness } from '../../../src/status/readiness.js';

const H = 3_600_000;
const now = Date.parse('2026-11-20T12:00:00Z');

describe('assessReadiness', () => {
  it('is not ready before any run succeeded', () => {
    expect(assessReadiness({ lastSuccessAt: null, lastFailure: null }, now, 26 * H)).toEqual({ ready: false, reason: 'no run has succeeded yet' });
  });

  it('is ready when the latest run succeeded within the allowed age', () => {
    const r = assessReadiness({ lastSuccessAt: now - 2 * H, lastFailure: { at: now - 5 * H, reason: 'timeout' } }, now, 26 * H);
    expect(r).toEqual({ ready: true, reason: 'the latest run succeeded at 2026-11-20T10:00:00.000Z' });
  });

  it('is not ready when the latest run failed, and says why', () => {
    const r = assessReadiness({ lastSuccessAt: now - 5 * H, lastFailure: { at: now - H, reason: '401 from Pipedrive: check PIPEDRIVE_API_TOKEN' } }, now, 26 * H);
    expect(r.ready).toBe(false);
    expect(r.reason).toBe('the latest run failed at 2026-11-20T11:00:00.000Z: 401 from Pipedrive: check PIPEDRIVE_API_TOKEN');
  });

  it('is not ready when the latest success is too old', () => {
    const r = assessReadiness({ lastSuccessAt: now - 30 * H, lastFailure: null }, now, 26 * H);
    expect(r).toEqual({ ready: false, reason: 'the latest successful run finished 1800 min ago, longer than the allowed 1560 min' });
  });
});
