/**
 * Issue 19: the daily API budget running out at seeded cut points spread over a whole first sync (every
 * entity, read-ahead and parallel pulls on). Each night stops with exit 4, no stack, its run recorded as
 * stopped-budget, no lock left; the next night resumes and completes within the minimum pages plus the
 * chains' overlap. See support/cut-sweep.ts.
 */
import { describe, expect, it } from 'vitest';
import { describeCut, ENTITY_PATH, runCutSweep } from './support/cut-sweep.js';

describe('the daily budget running out at any point of a first sync', () => {
  it('30 seeded cut points: exit 4, no stack, run recorded, no lock left, the next night resumes and completes', { timeout: 600_000 }, async () => {
    const r = await runCutSweep({ fault: 'budget', seed: 1919, points: 30, lanes: 2 });
    expect(r.cuts).toHaveLength(30);
    // Every entity's chain and the reference data are cut somewhere, and the request cut is the one aimed at.
    const cutEntities = new Set(r.cuts.map((c) => ('entity' in c.at ? c.at.entity : 'reference')));
    expect([...cutEntities].sort()).toEqual(['activity', 'deal', 'organization', 'person', 'reference']);
    for (const c of r.cuts) if ('entity' in c.at) expect(c.hit).toBe(`GET ${ENTITY_PATH[c.at.entity]}`);
    console.info(`budget sweep: ${r.cuts.length} cuts over a night of ${r.requestsPerNight} requests (${r.minimumPages} list pages: ${JSON.stringify(r.pagesPerEntity)}); cut nights ${r.cuts.map((c) => `${describeCut(c.at)} ${c.ms} ms`).join(', ')}`);
  });
});
