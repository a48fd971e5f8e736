/**
 * What a recorded webhook event asks of the background processing (docs/operations.md "Near-real-time"),
 * decided from the event alone, before any Pipedrive call:
 *
 * - `own_write`: the echo of a write of the worker itself (made through the API by the token's user):
 *   an organization change that touches only the flag fields, an activity created or deleted under a
 *   provenance key. The apply that wrote it already put its effect in the mirror (apply/own-writes.ts), so
 *   it is neither pulled nor re-assessed: a flag write never triggers another flag write.
 * - `irrelevant`: changes nothing the rules read (only flag fields, edited by a person; or no field at
 *   all). The nightly sweep restores a flag a person overwrote.
 * - `relevant`: pull the record, merge it, re-assess its client.
 *
 * Entities other than the four the rules read are `irrelevant` too.
 */
import type { EntityKind } from '../domain/entities.js';
import type { RecordedEvent } from './envelope.js';

export type EventClass = 'own_write' | 'irrelevant' | 'relevant';

export interface ClassifyContext {
  /** The token's user id (from `/v1/users/me`), or null when unknown. */
  meUserId: number | null;
  /** Hash keys of the organization flag fields (the fields the worker writes). */
  flagKeys: ReadonlySet<string>;
}

const ENTITIES: ReadonlySet<string> = new Set<EntityKind>(['organization', 'person', 'deal', 'activity']);

/** Fields that change on every write and mean nothing to the rules by themselves. */
const NOISE = new Set(['update_time', 'last_updated_by_user_id']);

/** Made through the API by the token's user (a person in the app is `app`, an automation `automation`…). */
function byUs(e: RecordedEvent, ctx: ClassifyContext): boolean {
  const viaApi = e.changeSource === null || e.changeSource === 'api';
  const sameUser = ctx.meUserId === null || e.userId === null || e.userId === String(ctx.meUserId);
  return viaApi && sameUser;
}

const isFlagField = (f: string, ctx: ClassifyContext): boolean => f.startsWith('custom_fields.') && ctx.flagKeys.has(f.slice('custom_fields.'.length));

export function classifyEvent(e: RecordedEvent, ctx: ClassifyContext): EventClass {
  if (!ENTITIES.has(e.entity)) return 'irrelevant';
  if (e.action === 'change') {
    const fields = e.changedFields.filter((f) => !NOISE.has(f));
    if (fields.length === 0) return 'irrelevant';
    if (e.entity === 'organization' && fields.every((f) => isFlagField(f, ctx))) return byUs(e, ctx) ? 'own_write' : 'irrelevant';
    return 'relevant';
  }
  // The worker creates activities under a provenance key and deletes only its own untouched ones; a
  // person's create or delete, or an activity of the worker a person changed, is relevant.
  if (e.entity === 'activity' && e.cadenceKey && byUs(e, ctx)) return 'own_write';
  return 'relevant';
}

export type PullRoute = 'ids' | 'list';

/** Ids a v2 list request accepts at once (`ids=`, PIPEDRIVE.md §2.1). */
export const IDS_PER_REQUEST = 100;

/**
 * How to pull `n` changed records of one entity, whichever costs fewer tokens: both routes are v2 list
 * requests at 10 tokens each, by id ⌈n/100⌉ of them, the incremental list (updated_since) at least ⌈n/500⌉.
 * Equal costs go to ids: exact, where the list may bring records changed by others meanwhile.
 */
export function pullRoute(n: number, pageSize = 500): PullRoute {
  return Math.ceil(n / IDS_PER_REQUEST) <= Math.max(1, Math.ceil(n / pageSize)) ? 'ids' : 'list';
}
