/**
 * Health score 0–100 (policy `health`): 100 minus penalties for applicable overdue / never / due-soon
 * rules, falling engagement, each risk, and data-quality findings (capped), floored at 0.
 * Falling engagement has its own penalty, so its risk entry is not charged a second time as a risk.
 *
 * Each part says what it is for twice: `reason`, a technical English string for logs, and `kind` +
 * `params`, which the policy's `healthParts` templates turn into the sentence people read.
 */
import type { Policy } from '../config/policy-schema.js';
import type { CadenceResult, Engagement, Health, HealthPart, Risk } from './types.js';

/** Adds a part of `points` (none when 0), the shared one of the same reason when there is one. */
function addPart(parts: Health['parts'], shared: Map<string, HealthPart> | undefined, kind: HealthPart['kind'], reason: string, params: HealthPart['params'], points: number): void {
  if (points <= 0) return;
  let part = shared?.get(reason);
  if (part === undefined) {
    part = { reason, points, kind, params };
    shared?.set(reason, part);
  }
  parts.push(part);
}

export function healthScore(
  cadence: readonly CadenceResult[],
  engagement: Engagement,
  risks: readonly Risk[],
  findingCount: number,
  policy: Policy['health'],
  /**
   * Lets a full pass share equal parts between clients, by reason (within one policy the reason decides
   * the kind, params and points). Parts are never mutated, so sharing one object is safe.
   */
  shared?: Map<string, HealthPart>,
): Health {
  const parts: Health['parts'] = [];
  for (const c of cadence) {
    if (!c.applies) continue;
    // Days overdue are in the cadence result; keeping them out of the reason lets parts be shared.
    if (c.status === 'overdue') addPart(parts, shared, 'overdue', `overdue: ${c.ruleId}`, { rule: c.ruleId }, policy.perOverdueRule);
    else if (c.status === 'never') addPart(parts, shared, 'never', `never touched: ${c.ruleId}`, { rule: c.ruleId }, policy.perNeverRule);
    else if (c.status === 'due_soon') addPart(parts, shared, 'due_soon', `due soon: ${c.ruleId}`, { rule: c.ruleId }, policy.perDueSoonRule);
  }
  if (engagement.trend === 'falling') addPart(parts, shared, 'falling_engagement', 'falling engagement', {}, policy.fallingEngagement);
  for (const r of risks) if (r.kind !== 'falling_engagement') addPart(parts, shared, 'risk', `risk: ${r.kind}`, { risk: r.kind }, policy.perRisk);
  if (findingCount > 0) {
    const points = Math.min(findingCount * policy.perDataQualityFinding, policy.maxDataQualityPenalty);
    addPart(parts, shared, 'data_quality', `data quality: ${findingCount} finding(s)`, { count: findingCount }, points);
  }
  const total = parts.reduce((s, p) => s + p.points, 0);
  return { score: Math.max(0, Math.min(100, Math.round(100 - total))), parts };
}
