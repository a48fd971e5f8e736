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

/** The three possible reason lists, shared by every stalled deal (read only: tens of thousands a night). */
const PAST_CLOSE: StalledDeal['reasons'] = Object.freeze(['past_close']) as StalledDeal['reasons'];
const IN_STAGE: StalledDeal['reasons'] = Object.freeze(['in_stage']) as StalledDeal['reasons'];
const BOTH: StalledDeal['reasons'] = Object.freeze(['past_close', 'in_stage']) as StalledDeal['reasons'];

export function findStalledDeals(
  deals: readonly Deal[],
  today: EpochDay,
  cal: ZoneCalendar,
  policy: Policy,
  /** Formats a day as `YYYY-MM-DD`; pass a remembering one to share the strings across clients. */
  formatDay: (day: EpochDay) => string = formatEpochDay,
): StalledDeal[] {
  const { maxDaysInStage, closeGraceDays } = policy.stalledWork;
  const out: StalledDeal[] = [];
  for (const d of deals) {
    if (d.status !== 'open' || d.isDeleted) continue;
    const closeDay = d.expectedCloseDate === null ? null : parseIsoDate(d.expectedCloseDate);
    const daysPastClose = closeDay === null ? null : today - closeDay;
    const sinceMs = parseInstant(d.stageChangeTime ?? d.addTime);
    const stageDay = Number.isFinite(sinceMs) ? cal.dayOfInstant(sinceMs) : null;
    const daysInStage = stageDay === null ? null : Math.max(0, today - stageDay);
    const pastClose = daysPastClose !== null && daysPastClose > closeGraceDays;
    const inStage = daysInStage !== null && daysInStage > maxDaysInStage;
    if (!pastClose && !inStage) continue;
    const reasons = pastClose ? (inStage ? BOTH : PAST_CLOSE) : IN_STAGE;
    const value = toFirmCurrency(d.value, d.currency, policy);
    out.push({
      dealId: d.id,
      title: d.title,
      ownerId: d.ownerId,
      reasons,
      expectedCloseDate: d.expectedCloseDate,
      daysPastClose,
      stageSince: stageDay === null ? null : formatDay(stageDay),
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
