/**
 * Stalled work (docs/policy.md §10.5; seeds 000 "verifica que nenhum está estagnado", 004 "projetos ficando
 * menores ou atrasados", "falta de resposta para propostas"): an open deal is stalled when its expected
 * close date passed more than `stalledWork.closeGraceDays` ago, or when it has been in its current stage for
 * more than `stalledWork.maxDaysInStage` days. The stage counts from the deal's stage-change time (v2
 * `stage_change_time`), else from when the deal was added (Pipedrive leaves the time empty when a deal never
 * moved). Pure: `today` and the calendar are parameters.
 */
import type { Policy } from '../config/policy-schema.js';
import type { Deal } from '../domain/entities.js';
import type { EpochDay, ZoneCalendar } from './calendar.js';
import { formatEpochDay, parseInstant, parseIsoDate } from './calendar.js';
import { toFirmCurrency } from './currency.js';
import type { Risk, StalledDeal } from './types.js';

export function findStalledDeals(deals: readonly Deal[], today: EpochDay, cal: ZoneCalendar, policy: Policy): StalledDeal[] {
  const { maxDaysInStage, closeGraceDays } = policy.stalledWork;
  const out: StalledDeal[] = [];
  for (const d of deals) {
    if (d.status !== 'open' || d.isDeleted) continue;
    const closeDay = d.expectedCloseDate === null ? null : parseIsoDate(d.expectedCloseDate);
    const daysPastClose = closeDay === null ? null : today - closeDay;
    const sinceMs = parseInstant(d.stageChangeTime ?? d.addTime);
    const stageDay = Number.isFinite(sinceMs) ? cal.dayOfInstant(sinceMs) : null;
    const daysInStage = stageDay === null ? null : Math.max(0, today - stageDay);
    const reasons: StalledDeal['reasons'] = [];
    if (daysPastClose !== null && daysPastClose > closeGraceDays) reasons.push('past_close');
    if (daysInStage !== null && daysInStage > maxDaysInStage) reasons.push('in_stage');
    if (reasons.length === 0) continue;
    const value = toFirmCurrency(d.value, d.currency, policy);
    out.push({
      dealId: d.id,
      title: d.title,
      ownerId: d.ownerId,
      reasons,
      expectedCloseDate: d.expectedCloseDate,
      daysPastClose,
      stageSince: stageDay === null ? null : formatEpochDay(stageDay),
      daysInStage,
      stageId: d.stageId ?? null,
      value: value === null ? null : Math.round(value * 100) / 100,
    });
  }
  return out.sort((a, b) => (b.daysPastClose ?? -Infinity) - (a.daysPastClose ?? -Infinity) || a.dealId - b.dealId);
}

/** One risk per client that has stalled deals, naming them. */
export function stalledRisk(stalled: readonly StalledDeal[], policy: Policy): Risk | null {
  if (stalled.length === 0) return null;
  const pastClose = stalled.filter((s) => s.reasons.includes('past_close')).length;
  const inStage = stalled.filter((s) => s.reasons.includes('in_stage')).length;
  const maxDays = policy.stalledWork.maxDaysInStage;
  return {
    kind: 'stalled_deals',
    detail:
      `${stalled.length} open deal(s) stalled: ` +
      stalled
        .map((s) => `#${s.dealId} (${s.reasons.map((r) => (r === 'past_close' ? `${s.daysPastClose} days past expected close ${s.expectedCloseDate}` : `${s.daysInStage} days in stage`)).join(', ')})`)
        .join(', '),
    evidence: { dealIds: stalled.map((s) => s.dealId) },
    params: { deals: stalled.map((s) => s.title).join(', '), count: stalled.length, pastClose, inStage, maxDays },
  };
}
