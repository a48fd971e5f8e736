/**
 * Health score 0–100 (policy `health`): 100 minus penalties for applicable overdue / never / due-soon
 * rules, falling engagement, each risk, and data-quality findings (capped), floored at 0.
 * Falling engagement has its own penalty, so its risk entry is not charged a second time as a risk.
 */
import type { Policy } from '../config/policy-schema.js';
import type { CadenceResult, Engagement, Health, Risk } from './types.js';

export function healthScore(
  cadence: readonly CadenceResult[],
  engagement: Engagement,
  risks: readonly Risk[],
  findingCount: number,
  policy: Policy['health'],
  /** Lets a full pass share repeated reason strings; identity by default. */
  intern: (reason: string) => string = (r) => r,
): Health {
  const parts: Health['parts'] = [];
  const add = (reason: string, points: number) => {
    if (points > 0) parts.push({ reason: intern(reason), points });
  };
  for (const c of cadence) {
    if (!c.applies) continue;
    // Days overdue are in the cadence result; keeping them out of the reason lets reasons be shared.
    if (c.status === 'overdue') add(`overdue: ${c.ruleId}`, policy.perOverdueRule);
    else if (c.status === 'never') add(`never touched: ${c.ruleId}`, policy.perNeverRule);
    else if (c.status === 'due_soon') add(`due soon: ${c.ruleId}`, policy.perDueSoonRule);
  }
  if (engagement.trend === 'falling') add('falling engagement', policy.fallingEngagement);
  for (const r of risks) if (r.kind !== 'falling_engagement') add(`risk: ${r.kind}`, policy.perRisk);
  if (findingCount > 0) add(`data quality: ${findingCount} finding(s)`, Math.min(findingCount * policy.perDataQualityFinding, policy.maxDataQualityPenalty));
  const total = parts.reduce((s, p) => s + p.points, 0);
  return { score: Math.max(0, Math.min(100, Math.round(100 - total))), parts };
}
