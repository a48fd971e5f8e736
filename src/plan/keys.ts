/**
 * Deterministic identities of planned writes. Pipedrive has no idempotency keys (PIPEDRIVE.md gotcha 9),
 * so every activity the worker creates carries one of these in its note (`cadence-key:<key>`), and apply
 * looks for it in Pipedrive before creating anything (docs/idempotency.md).
 *
 * A key names the *reason* for a write, never the run: the same client, rule and cadence window give the
 * same key on every run and every replica, and a new window gives a new key.
 *
 * - follow-up   `fu:<orgId>:<ruleId>:<nextDueDate | never>` — the window is the cadence period that ends
 *               at the next due date (last touchpoint + cadence days). A new touchpoint, or a new cadence
 *               length for the client's tier, moves the due date and so opens a new window. One activity that
 *               carries several rules of the client (docs/policy.md §10.4) names them all, most senior first,
 *               joined by `.`, with the window of the most senior: `fu:<orgId>:qbr.strategic.maintenance:<date>`;
 *               the rules read the carried rules back from it (domain/provenance.ts followUpKeyRuleIds).
 * - renewal     `rn:<orgId>:<contractEndDate>` — one per contract end date.
 * - escalation  `esc:<follow-up key>` — once per follow-up.
 * - clear       `clr:<activityId>` — deleting an auto-created follow-up whose gap cleared.
 * - flags       `fl:<orgId>:<hash of the new values>` — PATCHes are idempotent; the key only names them.
 * - handover    `ho:<orgId>:<date of the picture compared with>:<new owner id>` — once per handover (§10.5).
 * - account plan `ap:<orgId>:<last review date | never>` — once per review window (§10.5).
 *
 * Only letters, digits and `_ . : -` are allowed (provenance.ts), so rule ids and ISO dates fit as-is.
 */
import { createHash } from 'node:crypto';

export type KeyKind = 'follow_up' | 'renewal' | 'escalation' | 'clear' | 'flags' | 'handover' | 'account_plan';

/** The key of a follow-up for one rule, or for several (most senior first; the window is the first one's). */
export function followUpKey(orgId: number, ruleIds: string | readonly string[], nextDueDate: string | null): string {
  const rules = typeof ruleIds === 'string' ? ruleIds : ruleIds.join('.');
  return `fu:${orgId}:${rules}:${nextDueDate ?? 'never'}`;
}

export function renewalKey(orgId: number, contractEndDate: string): string {
  return `rn:${orgId}:${contractEndDate}`;
}

export function escalationKey(followUpKey: string): string {
  return `esc:${followUpKey}`;
}

export function handoverKey(orgId: number, since: string, toOwnerId: number): string {
  return `ho:${orgId}:${since}:${toOwnerId}`;
}

export function accountPlanKey(orgId: number, reviewedDate: string | null): string {
  return `ap:${orgId}:${reviewedDate ?? 'never'}`;
}

export function clearKey(activityId: number): string {
  return `clr:${activityId}`;
}

export function flagsKey(orgId: number, customFields: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(customFields).sort().map((k) => [k, customFields[k] ?? null]));
  return `fl:${orgId}:${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

export interface FollowUpKeyParts {
  orgId: number;
  /** The most senior rule the follow-up carries (the one its subject names). */
  ruleId: string;
  /** Every rule it carries, most senior first. */
  ruleIds: string[];
  /** Next due date of the window, or null for a client never touched. */
  window: string | null;
}

/** Reads a follow-up key back (null for any other key, e.g. an escalation's). */
export function parseFollowUpKey(key: string): FollowUpKeyParts | null {
  const m = /^fu:(\d+):([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*):(never|\d{4}-\d{2}-\d{2})$/.exec(key);
  if (!m) return null;
  const ruleIds = m[2]!.split('.');
  return { orgId: Number(m[1]), ruleId: ruleIds[0]!, ruleIds, window: m[3] === 'never' ? null : m[3]! };
}

export function keyKind(key: string): KeyKind | null {
  if (key.startsWith('fu:')) return 'follow_up';
  if (key.startsWith('rn:')) return 'renewal';
  if (key.startsWith('esc:')) return 'escalation';
  if (key.startsWith('clr:')) return 'clear';
  if (key.startsWith('fl:')) return 'flags';
  if (key.startsWith('ho:')) return 'handover';
  if (key.startsWith('ap:')) return 'account_plan';
  return null;
}
