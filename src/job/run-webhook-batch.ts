/**
 * One batch of a company's webhook events (docs/operations.md "Near-real-time"): the events recorded in the
 * inbox since the processed mark are classified (own writes and changes the rules do not read are ignored),
 * the records the others name are pulled and merged into the mirror, and only the clients they touch are
 * re-assessed, planned and applied — by the same rules, planner and apply as the nightly job, over the whole
 * mirror, so the writes carry the same deterministic keys and the ledger keeps any of them from happening
 * twice. The processed mark moves only after the batch is done: a batch that fails (store lost, lock lost,
 * process killed) is processed again, and reprocessing merges the same state and writes nothing new.
 *
 * The caller holds the company's lease (ops/webhook-processor.ts); the relationship memory and the health
 * history are read, never written: those are the night's.
 */
import { assessCompany } from '../rules/assess-company.js';
import { nextMemory, parseMemory } from '../rules/changes.js';
import { resolveUserRef } from '../rules/resolve-user-ref.js';
import { buildPlan } from '../plan/build-plan.js';
import { resolveFlagFields } from '../plan/flag-fields.js';
import type { Plan } from '../plan/types.js';
import { applyPlan, type ApplySummary } from '../apply/apply-plan.js';
import { mirrorOwnWrites } from '../apply/own-writes.js';
import { classifyEvent, type EventClass } from '../webhooks/classify.js';
import type { RecordedEvent } from '../webhooks/envelope.js';
import type { WebhookInbox } from '../webhooks/event-store.js';
import { orgOfRecord, pullChanges, refreshOrganizations, type PullChangesResult } from '../webhooks/pull-changes.js';
import { SNAPSHOT_KEY, type EntityKind, type MirrorSnapshot } from '../domain/entities.js';
import { dateNow, systemClock, type Clock } from '../domain/clock.js';
import type { CompanyParts } from './company-parts.js';
import { newRunId } from './run-company-job.js';

/** Events read per batch at most; a larger backlog is worked through in several batches. */
export const MAX_BATCH_EVENTS = 20_000;

export interface WebhookBatchOptions {
  inbox: WebhookInbox;
  /** The token's user id (`/v1/users/me`), for recognizing own writes; null when unknown. */
  meUserId: number | null;
  clock?: Pick<Clock, 'now'>;
  signal?: AbortSignal;
  maxEvents?: number;
}

export interface WebhookBatchOutcome {
  runId: string;
  /** Events read from the inbox (and marked processed when the batch finished). */
  events: number;
  byClass: Record<EventClass, number>;
  /** Highest sequence number processed, or null when the inbox had nothing. */
  processedUpTo: number | null;
  pulled: PullChangesResult['entities'];
  affectedOrgs: number;
  plan?: Plan;
  apply?: ApplySummary;
  /** Seconds from each event to the write it caused (one figure per write made). */
  lagSeconds: number[];
}


/** The earliest event time per client the events touch (before and after the pull): what each write's lag is measured from. */
function eventTimesByOrg(events: readonly RecordedEvent[], before: MirrorSnapshot, after: MirrorSnapshot): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of events) {
    const entity = e.entity as EntityKind;
    const id = Number(e.entityId);
    const t = Date.parse(e.timestamp ?? e.receivedAt);
    if (!Number.isFinite(t)) continue;
    const key = SNAPSHOT_KEY[entity];
    for (const org of [orgOfRecord(entity, before[key].get(id), before), orgOfRecord(entity, after[key].get(id), after)]) {
      if (org !== null && t < (out.get(org) ?? Infinity)) out.set(org, t);
    }
  }
  return out;
}

/** Assess the whole mirror, plan, keep the writes of the affected clients, apply them and mirror their effect. */
async function planAndApply(
  parts: CompanyParts,
  o: WebhookBatchOutcome,
  snapshot: MirrorSnapshot,
  affected: ReadonlySet<number>,
  ctx: { now: Date; clock: Pick<Clock, 'now'>; signal?: AbortSignal; beforeWrites: () => Promise<void> },
): Promise<void> {
  const { config, state, client, logger } = parts;
  const policy = config.policy;
  const fallbackUserId = resolveUserRef(policy.owners.fallbackUser, snapshot.users)?.id ?? null;
  const escalationUserId = resolveUserRef(policy.owners.escalationUser, snapshot.users)?.id ?? null;
  // The night's relationship memory, read only: a handover seen today has the key the night will give it.
  const changes = nextMemory(parseMemory(await state.changes.read().catch(() => undefined)), snapshot, ctx.now, policy).events;
  const result = assessCompany(policy, snapshot, { now: ctx.now, timeZone: policy.timeZone }, { fallbackUserId, changes });
  const full = buildPlan({ policy, result, snapshot, runId: o.runId, companyId: config.companyId, now: ctx.now, escalationUserId, fallbackUserId });
  o.plan = { ...full, writes: full.writes.filter((w) => affected.has(w.orgId)), skipped: full.skipped.filter((s) => affected.has(s.orgId)) };
  if (o.plan.writes.length === 0) return;
  await ctx.beforeWrites();
  o.apply = await applyPlan({
    plan: o.plan,
    client,
    companyState: state,
    logger,
    dryRun: config.dryRun,
    maxWrites: config.maxWrites,
    concurrency: config.pipedrive.concurrency,
    clock: ctx.clock,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  await mirrorOwnWrites(state, { plan: o.plan, apply: o.apply, snapshot, now: dateNow(ctx.clock) });
}

export async function runWebhookBatch(parts: CompanyParts, options: WebhookBatchOptions): Promise<WebhookBatchOutcome> {
  const { config, state, client } = parts;
  const clock = options.clock ?? systemClock();
  const started = dateNow(clock);
  const o: WebhookBatchOutcome = { runId: `wh-${newRunId(started)}`, events: 0, byClass: { own_write: 0, irrelevant: 0, relevant: 0 }, processedUpTo: null, pulled: {}, affectedOrgs: 0, lagSeconds: [] };
  const logger = parts.logger.child({ company: config.companyId, runId: o.runId });
  // Read before the events: every slot up to it is written by then (the counter moves after its event).
  const recorded = await options.inbox.count();
  const events = await options.inbox.pending({ limit: options.maxEvents ?? MAX_BATCH_EVENTS });
  if (events.length === 0) {
    // Nothing readable after the mark (slots pruned or unreadable): move it past them, or the inbox stalls.
    if (recorded > (await options.inbox.processedUpTo())) await options.inbox.markProcessed(recorded);
    return o;
  }
  o.events = events.length;
  const flagKeys = new Set(Object.values(resolveFlagFields(config.policy, await state.fields.get()).fields).map((f) => f!.key));
  const relevant = events.filter((e) => {
    const c = classifyEvent(e, { meUserId: options.meUserId, flagKeys });
    o.byClass[c]++;
    return c === 'relevant';
  });
  if (relevant.length > 0) {
    const before = await state.mirror.load();
    const pulled = await pullChanges({ client, state, snapshot: before, events: relevant, logger, ...(options.signal ? { signal: options.signal } : {}) });
    o.pulled = pulled.entities;
    o.affectedOrgs = pulled.affectedOrgIds.size;
    options.signal?.throwIfAborted();
    const { inbox } = options;
    const lastSeq = events[events.length - 1]!.seq;
    // A batch before this one died while writing: its flag writes may have landed; read the clients again.
    const died = (await inbox.attemptedUpTo()) > (await inbox.processedUpTo());
    const snapshot = died ? await refreshOrganizations({ client, state }, pulled.snapshot, [...pulled.affectedOrgIds].filter((id) => !relevant.some((e) => e.entity === 'organization' && Number(e.entityId) === id))) : pulled.snapshot;
    if (pulled.affectedOrgIds.size > 0) {
      await planAndApply(parts, o, snapshot, pulled.affectedOrgIds, { now: dateNow(clock), clock, ...(options.signal ? { signal: options.signal } : {}), beforeWrites: () => inbox.markAttempt(lastSeq) });
      const since = eventTimesByOrg(relevant, before, pulled.snapshot);
      const done = dateNow(clock).getTime();
      for (const r of o.apply?.results ?? []) {
        const t = since.get(r.orgId);
        if (t !== undefined && (r.outcome === 'created' || r.outcome === 'updated' || r.outcome === 'deleted')) o.lagSeconds.push(Math.max(0, (done - t) / 1000));
      }
    }
  }
  options.signal?.throwIfAborted();
  o.processedUpTo = events[events.length - 1]!.seq;
  await options.inbox.markProcessed(o.processedUpTo);
  logger.info({ events: o.events, byClass: o.byClass, pulled: o.pulled, affectedOrgs: o.affectedOrgs, writes: o.apply?.counts ?? null }, 'webhook batch processed');
  return o;
}
