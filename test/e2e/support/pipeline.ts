/**
 * sync → rules → plan → apply for one company, as the nightly job sequences it, built from the real parts
 * (SDK client over HTTP, real state store). Used in-process by the e2e tests and by apply-child.ts.
 */
import type { ApplyPlanInput, ApplySummary } from '../../../src/apply/apply-plan.js';
import { applyPlan } from '../../../src/apply/apply-plan.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { MirrorSnapshot } from '../../../src/domain/entities.js';
import type { Logger } from '../../../src/log/logger.js';
import { createPipedriveClient, type PipedriveClient } from '../../../src/pipedrive/client.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import type { Plan } from '../../../src/plan/types.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { resolveUserRef } from '../../../src/rules/resolve-user-ref.js';
import type { RulesResult } from '../../../src/rules/types.js';
import { openStateStore, type StateStore } from '../../../src/store/open-state-store.js';
import { runSync, type ReconcileMode, type SyncSummary } from '../../../src/sync/run-sync.js';

export interface PipelineInput {
  baseUrl: string;
  token: string;
  stateUrl: string;
  /** Store namespace (tests that share a Redis give each replica or test its own). */
  namespace?: string;
  companyId: string;
  now: Date;
  policy: Policy;
  logger: Logger;
  runId: string;
  /** false: plan only. */
  apply: boolean;
  /** Builds the client from the opened store (an OAuth app keeps its tokens there); default: API token. */
  client?: (store: StateStore) => PipedriveClient;
  /** Reconciliation during the sync (default `skip`). */
  reconcile?: ReconcileMode;
  /** Lets a test wrap the client (e.g. die right after a POST lands). */
  wrapClient?: (client: PipedriveClient) => void;
  applyOptions?: Partial<ApplyPlanInput>;
  /** Awaited between planning and applying (a start line for racing replicas). */
  beforeApply?: (plan: Plan) => Promise<void>;
}

export interface PipelineOutcome {
  sync: SyncSummary;
  snapshot: MirrorSnapshot;
  result: RulesResult;
  plan: Plan;
  apply: ApplySummary | null;
}

export function makeClient(baseUrl: string, token: string, logger: Logger): PipedriveClient {
  return createPipedriveClient({ connection: { baseUrl, apiToken: token, timeoutMs: 10_000, concurrency: 4 }, logger });
}

export async function runPipeline(input: PipelineInput, store?: StateStore): Promise<PipelineOutcome> {
  const { policy, logger } = input;
  const owned = !store;
  const theStore = store ?? (await openStateStore(input.stateUrl, logger, input.namespace ? { namespace: input.namespace } : {}));
  try {
    const state = theStore.company(input.companyId);
    const client = input.client ? input.client(theStore) : makeClient(input.baseUrl, input.token, logger);
    input.wrapClient?.(client);
    const clock = { now: () => input.now.getTime() };
    const sync = await runSync({ client, companyState: state, logger, clock, reconcile: input.reconcile ?? 'skip', runId: input.runId });
    const snapshot = await state.mirror.load();
    const fallbackUser = resolveUserRef(policy.owners.fallbackUser, snapshot.users);
    const escalationUser = resolveUserRef(policy.owners.escalationUser, snapshot.users);
    const fallbackUserId = fallbackUser?.active ? fallbackUser.id : null;
    const escalationUserId = escalationUser?.active ? escalationUser.id : null;
    const result = assessCompany(policy, snapshot, { now: input.now, timeZone: policy.timeZone }, { fallbackUserId });
    const plan = buildPlan({ policy, result, snapshot, runId: input.runId, companyId: input.companyId, now: input.now, escalationUserId, fallbackUserId });
    if (input.apply) await input.beforeApply?.(plan);
    const apply = input.apply
      ? await applyPlan({ plan, client, companyState: state, logger, maxWrites: policy.writes.maxWrites, clock, ...input.applyOptions })
      : null;
    return { sync, snapshot, result, plan, apply };
  } finally {
    if (owned) await theStore.close();
  }
}
