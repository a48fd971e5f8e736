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
  const add = (kind: HealthPart['kind'], reason: string, params: HealthPart['params'], points: number) => {
    if (points <= 0) return;
    let part = shared?.get(reason);
    if (part === undefined) {
      part = { reason, points, kind, params };
      shared?.set(reason, part);
    }
    parts.push(part);
  };
  for (const c of cadence) {
    if (!c.applies) continue;
    // Days overdue are in the cadence result; keeping them out of the reason lets parts be shared.
    if (c.status === 'overdue') add('overdue', `overdue: ${c.ruleId}`, { rule: c.ruleId }, policy.perOverdueRule);
    else if (c.status === 'never') add('never', `never touched: ${c.ruleId}`, { rule: c.ruleId }, policy.perNeverRule);
    else if (c.status === 'due_soon') add('due_soon', `due soon: ${c.ruleId}`, { rule: c.ruleId }, policy.perDueSoonRule);
  }
  if (engagement.trend === 'falling') add('falling_engagement', 'falling engagement', {}, policy.fallingEngagement);
  for (const r of risks) if (r.kind !== 'falling_engagement') add('risk', `risk: ${r.kind}`, { risk: r.kind }, policy.perRisk);
  if (findingCount > 0) {
    const points = Math.min(findingCount * policy.perDataQualityFinding, policy.maxDataQualityPenalty);
    add('data_quality', `data quality: ${findingCount} finding(s)`, { count: findingCount }, points);
  }
  const total = parts.reduce((s, p) => s + p.points, 0);
  return { score: Math.max(0, Math.min(100, Math.round(100 - total))), parts };
}
