/**
 * Issue 19: the daily API budget running out at seeded cut points spread over a whole first sync (every
 * entity, read-ahead and parallel pulls on). Each night stops with exit 4, no stack, its run recorded as
 * stopped-budget, no lock left; the next night resumes and completes within the minimum pages plus the
 * chains' overlap. See support/cut-sweep.ts.
 */
import { describe, expect, it } from 'vitest';
import { runCutSweep } from './support/cut-sweep.js';

describe('the daily budget running out at any point of a first sync', () => {
  it('30 seeded cut points: exit 4, no stack, run recorded, no lock left, the next night resumes and completes', { timeout: 600_000 }, async () => {
    const r = await runCutSweep({ fault: 'budget', seed: 1919, points: 30, lanes: 2 });
    expect(r.cuts).toHaveLength(30);
    expect(r.entitiesHit).toEqual(['activity', 'deal', 'organization', 'person']);
    // Spread over the night: from the reference data to its last pages.
    expect(r.cuts[0]!.at).toBeLessThanOrEqual(6);
    expect(r.cuts.at(-1)!.at).toBeGreaterThanOrEqual(r.requestsPerNight - 6);
    console.info(`budget sweep: ${r.cuts.length} cuts over a night of ${r.requestsPerNight} requests (${r.minimumPages} list pages); cut nights ${r.cuts.map((c) => c.ms).join(', ')} ms`);
  });
});
