/** Stalled work (docs/policy.md §10.5): open deals past their expected close date or too long in one stage. */
import { describe, expect, it } from 'vitest';
import { assessCompany } from '../../../src/rules/assess-company.js';
import type { Deal } from '../../../src/domain/entities.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import { clock, deal, org, policy, snapshot, wonDeal } from './fixtures.js';

const TODAY = '2026-03-10';
// A deal that moved stage recently and closes later: stalled on neither count unless the case says so.
const fresh = (over: Partial<Deal> & { id: number }) => deal({ orgId: 1, stageChangeTime: '2026-03-01T12:00:00Z', expectedCloseDate: '2026-04-30', ...over });

function assess(deals: Deal[], p: Policy = policy()) {
  return assessCompany(p, snapshot({ orgs: [org({ id: 1 })], deals }), clock(TODAY)).organizations[0]!;
}

describe('stalled deals (docs/policy.md §10.5)', () => {
  it.each([
    ['expected close yesterday', { expectedCloseDate: '2026-03-09' }, ['past_close']],
    ['expected close today is not late yet', { expectedCloseDate: '2026-03-10' }, []],
    ['61 days in one stage (limit 60)', { stageChangeTime: '2026-01-08T12:00:00Z' }, ['in_stage']],
    ['exactly 60 days in one stage is within the limit', { stageChangeTime: '2026-01-09T12:00:00Z' }, []],
    ['never moved: the stage counts from when it was added', { stageChangeTime: null, addTime: '2025-12-01T12:00:00Z' }, ['in_stage']],
    ['both: late and stuck', { expectedCloseDate: '2026-01-31', stageChangeTime: '2025-11-01T12:00:00Z' }, ['past_close', 'in_stage']],
    ['no expected close date, recent stage', { expectedCloseDate: null }, []],
  ])('%s', (_name, over, reasons) => {
    const o = assess([fresh({ id: 2, ...over })]);
    expect(o.stalledDeals?.[0]?.reasons ?? []).toEqual(reasons);
    expect(o.risks.some((r) => r.kind === 'stalled_deals')).toBe(reasons.length > 0);
  });

  it('won, lost and deleted deals are never stalled', () => {
    const o = assess([
      wonDeal({ id: 2, orgId: 1, won: '2026-01-01', expectedCloseDate: '2025-12-01' }),
      deal({ id: 3, orgId: 1, status: 'lost', lostTime: '2026-01-01T00:00:00Z', expectedCloseDate: '2025-12-01' }),
      fresh({ id: 4, isDeleted: true, expectedCloseDate: '2025-12-01' }),
    ]);
    expect(o.stalledDeals).toEqual([]);
  });

  it('the stage-change time is read in the firm time zone (23:30 in São Paulo is the next day in UTC)', () => {
    // 2026-01-08T02:30Z = 2026-01-07 23:30 in São Paulo: 62 days before 2026-03-10.
    const o = assess([fresh({ id: 2, stageChangeTime: '2026-01-08T02:30:00Z' })]);
    expect(o.stalledDeals![0]).toMatchObject({ stageSince: '2026-01-07', daysInStage: 62 });
  });

  it('the risk names the deals and counts each reason; the entry carries the facts', () => {
    const o = assess([
      fresh({ id: 2, title: 'Proposta A', expectedCloseDate: '2026-02-28', value: 10_000, currency: 'USD', ownerId: 6, stageId: 4 }),
      fresh({ id: 3, title: 'Proposta B', stageChangeTime: '2025-12-01T12:00:00Z' }),
    ]);
    const risk = o.risks.find((r) => r.kind === 'stalled_deals')!;
    expect(risk.params).toEqual({ deals: 'Proposta A, Proposta B', count: 2, pastClose: 1, inStage: 1, maxDays: 60 });
    expect(risk.evidence).toEqual({ dealIds: [2, 3] });
    expect(o.stalledDeals![0]).toEqual({
      dealId: 2, title: 'Proposta A', ownerId: 6, reasons: ['past_close'], expectedCloseDate: '2026-02-28', daysPastClose: 10,
      stageSince: '2026-03-01', daysInStage: 9, stageId: 4, value: 53_000,
    });
    // One risk per client, counted once in the health score.
    expect(o.health.parts.filter((p) => p.kind === 'risk' && p.params.risk === 'stalled_deals')).toHaveLength(1);
  });

  it('the limits come from the policy (stalledWork.maxDaysInStage, closeGraceDays)', () => {
    const p = policy((pp) => {
      pp.stalledWork.maxDaysInStage = 90;
      pp.stalledWork.closeGraceDays = 14;
    });
    const deals = [fresh({ id: 2, stageChangeTime: '2026-01-01T12:00:00Z' }), fresh({ id: 3, expectedCloseDate: '2026-03-01' })];
    expect(assess(deals).stalledDeals?.map((d) => d.dealId)).toEqual([3, 2]);
    expect(assess(deals, p).stalledDeals).toEqual([]);
  });
});
