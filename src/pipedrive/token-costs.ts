/**
 * Token costs per request (PIPEDRIVE.md §6.3, the specs' `x-token-cost`: flat per request, independent of
 * `limit`) and a pure estimate of what a sync run will spend, so the job can degrade before it starts
 * (skip the reconciliation first, keep the incremental pull and the write-back).
 */
import type { EntityKind } from '../domain/entities.js';

export const TOKEN_COST = {
  v2List: 10,
  v2GetOne: 1,
  v2Create: 5,
  v2Update: 5,
  v2Delete: 3,
  v2FieldsList: 10,
  v2ArchivedDealsList: 20,
  v1ActivityTypesList: 20,
  v1ActivityTypeCreate: 10,
  v1UsersList: 20,
  v1UsersMe: 2,
  /** GET and POST /v1/webhooks; DELETE /v1/webhooks/{id} costs 6 (the v1 DELETE default). */
  v1Webhooks: 10,
  v1Other: 20,
} as const;

/** The most records a v2 list page returns (PIPEDRIVE.md §2.1). */
export const PAGE_SIZE = 500;

/** Estimated token cost of one request, from its method and path (`/api/v2/deals`, `/api/v1/users/me`). */
export function requestCost(method: string, path: string): number {
  const m = method.toUpperCase();
  const p = path.replace(/\/+$/, '');
  if (/\/api\/v2\//.test(p)) {
    if (m === 'POST') return TOKEN_COST.v2Create;
    if (m === 'PATCH' || m === 'PUT') return TOKEN_COST.v2Update;
    if (m === 'DELETE') return TOKEN_COST.v2Delete;
    if (/Fields$/.test(p)) return TOKEN_COST.v2FieldsList;
    if (/\/\d+$/.test(p) || /Fields\/[^/]+$/.test(p)) return TOKEN_COST.v2GetOne;
    if (/\/deals\/archived$/.test(p)) return TOKEN_COST.v2ArchivedDealsList;
    return TOKEN_COST.v2List;
  }
  if (/\/users\/me$/.test(p)) return TOKEN_COST.v1UsersMe;
  if (/\/users$/.test(p) && m === 'GET') return TOKEN_COST.v1UsersList;
  if (/\/webhooks$/.test(p) && (m === 'GET' || m === 'POST')) return TOKEN_COST.v1Webhooks;
  if (/\/activityTypes$/.test(p)) return m === 'GET' ? TOKEN_COST.v1ActivityTypesList : TOKEN_COST.v1ActivityTypeCreate;
  if (m === 'GET') return /\/\d+$/.test(p) ? 2 : TOKEN_COST.v1Other;
  if (m === 'DELETE') return 6;
  return 10;
}

export interface SyncCostInput {
  /** Records per entity in the mirror (or 0 / absent on a first run). */
  mirrorCounts: Partial<Record<EntityKind, number>>;
  /**
   * Pages the last incremental run fetched per entity; the best predictor of the next one. Absent on a
   * first run (then the whole entity is pulled).
   */
  lastIncrementalPages?: Partial<Record<EntityKind, number>>;
  /** True when no full pull has completed yet: every entity is pulled whole. */
  firstRun: boolean;
  /** Number of entities with custom-field catalogues refreshed each run (default 4). */
  fieldEntities?: number;
  /**
   * Archived deals (GET /api/v2/deals/archived, 20 tokens a page): pages the last pass fetched (the pull),
   * and pages a whole walk takes (the reconciliation). Absent: not counted.
   */
  archivedDeals?: { lastPassPages: number; allPages: number };
}

export interface SyncCostEstimate {
  /** Users, activity types, field catalogues: refreshed every run. */
  referenceTokens: number;
  /** The incremental (or first full) pull of the four entities. */
  pullTokens: number;
  /** The id walk of every entity, when reconciliation runs. */
  reconcileTokens: number;
  /** referenceTokens + pullTokens (what a run costs without reconciliation). */
  minimumTokens: number;
  /** minimumTokens + reconcileTokens. */
  totalTokens: number;
  /** Requests the same run makes (minimum and with reconciliation). */
  minimumRequests: number;
  totalRequests: number;
}

const ENTITIES: readonly EntityKind[] = ['organization', 'person', 'deal', 'activity'];

export function pagesFor(records: number): number {
  // An empty list still costs one request that returns no rows.
  return Math.max(1, Math.ceil(records / PAGE_SIZE));
}

export function estimateSyncCost(input: SyncCostInput): SyncCostEstimate {
  const fieldEntities = input.fieldEntities ?? 4;
  const referenceRequests = 2 + fieldEntities;
  const referenceTokens = TOKEN_COST.v1UsersList + TOKEN_COST.v1ActivityTypesList + fieldEntities * TOKEN_COST.v2FieldsList;
  let pullPages = 0;
  let reconcilePages = 0;
  for (const e of ENTITIES) {
    const count = input.mirrorCounts[e] ?? 0;
    const full = pagesFor(count);
    reconcilePages += full;
    if (input.firstRun) pullPages += full;
    // Without history assume a small change set: one page per entity.
    else pullPages += Math.max(1, input.lastIncrementalPages?.[e] ?? 1);
  }
  const archived = input.archivedDeals;
  const archivedPull = archived ? Math.max(1, input.firstRun ? archived.allPages : archived.lastPassPages) : 0;
  const archivedWalk = archived ? Math.max(1, archived.allPages) : 0;
  const pullTokens = pullPages * TOKEN_COST.v2List + archivedPull * TOKEN_COST.v2ArchivedDealsList;
  const reconcileTokens = reconcilePages * TOKEN_COST.v2List + archivedWalk * TOKEN_COST.v2ArchivedDealsList;
  pullPages += archivedPull;
  reconcilePages += archivedWalk;
  const minimumTokens = referenceTokens + pullTokens;
  return {
    referenceTokens,
    pullTokens,
    reconcileTokens,
    minimumTokens,
    totalTokens: minimumTokens + reconcileTokens,
    minimumRequests: referenceRequests + pullPages,
    totalRequests: referenceRequests + pullPages + reconcilePages,
  };
}

export type BudgetDecision =
  | { runReconcile: boolean; runPull: true; reason: string }
  | { runReconcile: false; runPull: false; reason: string };

/**
 * The stated degradation order when the daily budget is short: first skip the reconciliation, then (only
 * if even the incremental pull plus the tokens reserved for write-back do not fit) skip the pull.
 * Unknown budget (no header seen yet) means "go ahead".
 *
 * `referenceSpent` (default true): runSync refreshes the reference data first (that is how it learns the
 * budget), so by decision time only the pull and the reconciliation are still to pay. A job planning before
 * any request passes false.
 */
export function decideBudget(
  estimate: SyncCostEstimate,
  dailyRemaining: number | undefined,
  wantReconcile: boolean,
  reserveTokens = 0,
  { referenceSpent = true }: { referenceSpent?: boolean } = {},
): BudgetDecision {
  if (dailyRemaining === undefined) {
    return { runPull: true, runReconcile: wantReconcile, reason: 'daily budget unknown (no header yet): running as planned' };
  }
  const ref = referenceSpent ? 0 : estimate.referenceTokens;
  const withReconcile = ref + estimate.pullTokens + estimate.reconcileTokens;
  const pullOnly = ref + estimate.pullTokens;
  const available = dailyRemaining - reserveTokens;
  if (wantReconcile && withReconcile <= available) {
    return { runPull: true, runReconcile: true, reason: `budget ok: ~${withReconcile} of ${dailyRemaining} tokens left needed` };
  }
  if (pullOnly <= available) {
    return {
      runPull: true,
      runReconcile: false,
      reason: wantReconcile
        ? `daily budget short (${dailyRemaining} tokens left, ${reserveTokens} reserved for write-back): skipping reconciliation (~${estimate.reconcileTokens} tokens), keeping the pull (~${pullOnly})`
        : `budget ok: ~${pullOnly} of ${dailyRemaining} tokens left needed`,
    };
  }
  if (pullOnly <= dailyRemaining) {
    // The pull is what makes the write-back correct: keep it even if it eats into the reserve.
    return { runPull: true, runReconcile: false, reason: `daily budget short (${dailyRemaining} tokens left): pulling changes only, write-back reserve reduced` };
  }
  return { runPull: false, runReconcile: false, reason: `daily budget too low (${dailyRemaining} tokens left, the pull needs ~${pullOnly}): sync skipped until the budget resets` };
}
