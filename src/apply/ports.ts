/**
 * What apply needs from the Pipedrive client and from the company's state store — narrow views, so the
 * unit tests can hand in fakes and the real PipedriveClient / store satisfy them structurally.
 */
import { z } from 'zod';
import type { PipedriveClient } from '../pipedrive/client.js';
import type { CompanyState } from '../store/company-state.js';

export type ApplyClient = Pick<PipedriveClient, 'createActivity' | 'deleteActivity' | 'listOpenActivitiesForOrg' | 'updateOrganizationCustomFields'>;

/** Status of one planned write in the ledger: the intent is recorded before the request. */
export const LedgerStatus = z.enum(['pending', 'done']);
export type LedgerStatus = z.infer<typeof LedgerStatus>;

/** What apply keeps per key in the company's intent ledger (parsed when read back: parse at the edge). */
export const LedgerEntry = z.object({
  key: z.string(),
  status: LedgerStatus,
  kind: z.enum(['create_activity', 'delete_activity', 'update_org_flags']),
  orgId: z.number().int(),
  runId: z.string(),
  /** ISO instant of the last change of this entry. */
  at: z.string(),
  /** The Pipedrive activity the key resolved to (created, adopted or deleted). */
  activityId: z.number().int().optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** One line of the append-only audit log: who, what, when, why, and the Pipedrive id it got back. */
export const AuditEntry = z.object({
  at: z.string(),
  runId: z.string(),
  companyId: z.string(),
  /** The worker and, when known, the Pipedrive user whose token made the write. */
  actor: z.string(),
  action: z.enum(['create_activity', 'adopt_activity', 'delete_activity', 'delete_duplicate', 'update_org_flags']),
  key: z.string(),
  orgId: z.number().int(),
  ruleId: z.string().nullable(),
  reason: z.string(),
  pipedriveId: z.number().int().nullable(),
  /** What was written (subject, type, owner, due date; or the flag changes). */
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/**
 * The part of the company's state apply uses (src/store/company-state.ts satisfies it): the intent ledger
 * and the append-only audit log. A company whose audit log is empty has never been applied to.
 */
export type ApplyState = Pick<CompanyState, 'ledger' | 'audit'>;
