/**
 * What apply needs from the Pipedrive client and from the company's state store — narrow views, so the
 * unit tests can hand in fakes and the real PipedriveClient / store satisfy them structurally.
 */
import type { PipedriveClient } from '../pipedrive/client.js';

export type ApplyClient = Pick<PipedriveClient, 'createActivity' | 'deleteActivity' | 'listOpenActivitiesForOrg' | 'updateOrganizationCustomFields'>;

/** Status of one planned write in the ledger: the intent is recorded before the request. */
export type LedgerStatus = 'pending' | 'done';

export interface LedgerEntry {
  key: string;
  status: LedgerStatus;
  kind: 'create_activity' | 'delete_activity' | 'update_org_flags';
  orgId: number;
  runId: string;
  /** ISO instant of the last change of this entry. */
  at: string;
  /** The Pipedrive activity the key resolved to (created, adopted or deleted). */
  activityId?: number;
}

/** One line of the append-only audit log: who, what, when, why, and the Pipedrive id it got back. */
export interface AuditEntry {
  at: string;
  runId: string;
  companyId: string;
  /** The worker and, when known, the Pipedrive user whose token made the write. */
  actor: string;
  action: 'create_activity' | 'adopt_activity' | 'delete_activity' | 'delete_duplicate' | 'update_org_flags';
  key: string;
  orgId: number;
  ruleId: string | null;
  reason: string;
  pipedriveId: number | null;
  /** What was written (subject, type, owner, due date; or the flag changes). */
  details: Record<string, unknown>;
}

export interface ApplyState {
  ledger: {
    get(key: string): Promise<LedgerEntry | null | undefined>;
    put(key: string, entry: LedgerEntry): Promise<void>;
  };
  audit: {
    append(entry: AuditEntry): Promise<void>;
  };
  /** Whether any apply has written to this company before (the first apply shows the plan summary first). */
  hasApplied(): Promise<boolean>;
}
