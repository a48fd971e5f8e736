/**
 * What the store remembers about each company's runs, shared by every replica: the last attempt (its
 * tick, result and id) and how many runs in a row have failed, with the reason. Written only by the
 * lock holder, read by anyone. The tick (`slot`) is what makes "exactly once per tick" hold across
 * replicas: a replica that gets the lock after another finished the same tick sees it here and skips.
 */
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { FAILURE_KINDS, type Failure } from './describe-failure.js';

/** Key-value access with Keyv's shape (`StateStore.keyv` fits); values are JSON-serialisable. */
export interface RecordStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<unknown>;
}

export const CompanyRunRecordSchema = z.object({
  companyId: z.string(),
  /** Unique per finished attempt: lets a waiting replica see that someone else finished the company. */
  runId: z.string(),
  /** The scheduled tick (ISO instant) the attempt belonged to; null for run-once without --slot. */
  slot: z.string().nullable(),
  /** `stopped-budget`: the daily API budget ran out, checkpoint kept; neither a failure nor a success. */
  status: z.enum(['succeeded', 'failed', 'aborted', 'stopped-budget']),
  owner: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  consecutiveFailures: z.number().int().min(0),
  lastError: z.object({ kind: z.enum(FAILURE_KINDS), reason: z.string(), at: z.string() }).optional(),
  lastSuccessAt: z.string().optional(),
  /** Why the last attempt stopped on the budget (status `stopped-budget`). */
  stopReason: z.string().optional(),
});
export type CompanyRunRecord = z.infer<typeof CompanyRunRecordSchema>;

export const runRecordKey = (companyId: string) => `ops:run:${companyId}`;

export async function readRunRecord(records: RecordStore, companyId: string, logger?: Logger): Promise<CompanyRunRecord | undefined> {
  const raw = await records.get(runRecordKey(companyId));
  if (raw === undefined || raw === null) return undefined;
  const parsed = CompanyRunRecordSchema.safeParse(raw);
  if (!parsed.success) {
    // Written by another version, or damaged: start counting afresh rather than fail the company.
    logger?.warn({ companyId, key: runRecordKey(companyId) }, 'ignoring an unreadable run record');
    return undefined;
  }
  return parsed.data;
}

export interface AttemptResult {
  companyId: string;
  runId: string;
  slot: string | null;
  owner: string;
  startedAt: string;
  finishedAt: string;
  /** undefined: succeeded (unless `budgetStop`); 'aborted': stopped by shutdown (does not count as a failure). */
  failure?: Failure | 'aborted';
  /** Stopped early on the daily API budget, with this reason: not a failure, not a success. */
  budgetStop?: string;
}

/** The record after an attempt (pure): failures count up, a success resets the count. */
export function nextRunRecord(previous: CompanyRunRecord | undefined, attempt: AttemptResult): CompanyRunRecord {
  const base = {
    companyId: attempt.companyId,
    runId: attempt.runId,
    slot: attempt.slot,
    owner: attempt.owner,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt,
  };
  const kept = {
    ...(previous?.lastError ? { lastError: previous.lastError } : {}),
    ...(previous?.lastSuccessAt ? { lastSuccessAt: previous.lastSuccessAt } : {}),
  };
  if (attempt.failure === undefined && attempt.budgetStop !== undefined) {
    return { ...base, ...kept, status: 'stopped-budget', consecutiveFailures: previous?.consecutiveFailures ?? 0, stopReason: attempt.budgetStop };
  }
  if (attempt.failure === undefined) {
    return { ...base, ...kept, status: 'succeeded', consecutiveFailures: 0, lastSuccessAt: attempt.finishedAt };
  }
  if (attempt.failure === 'aborted') {
    return { ...base, ...kept, status: 'aborted', consecutiveFailures: previous?.consecutiveFailures ?? 0 };
  }
  return {
    ...base,
    ...kept,
    status: 'failed',
    consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1,
    lastError: { ...attempt.failure, at: attempt.finishedAt },
  };
}
