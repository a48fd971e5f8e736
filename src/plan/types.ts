/**
 * The plan: desired write-backs (docs/policy.md §5), computed purely from the rules' results and the mirror.
 * `apply` executes it idempotently; `report` shows it.
 */
import { z } from 'zod';
import { Notice } from '../i18n/notice.js';
import { ActivityDraft } from '../domain/entities.js';

export const WritePurpose = z.enum(['follow_up', 'renewal', 'escalation']);
export type WritePurpose = z.infer<typeof WritePurpose>;

export const CreateActivity = z.object({
  kind: z.literal('create_activity'),
  /** Deterministic identity: same client, reason and window ⇒ same key, on every run and replica. */
  key: z.string(),
  purpose: WritePurpose,
  orgId: z.number().int(),
  ruleId: z.string().nullable(),
  /** Why, in the firm's language (also in the note). */
  reason: z.string(),
  activity: ActivityDraft,
});
export type CreateActivity = z.infer<typeof CreateActivity>;

export const DeleteActivity = z.object({
  kind: z.literal('delete_activity'),
  key: z.string(),
  orgId: z.number().int(),
  activityId: z.number().int(),
  reason: z.string(),
});
export type DeleteActivity = z.infer<typeof DeleteActivity>;

export const UpdateOrgFlags = z.object({
  kind: z.literal('update_org_flags'),
  key: z.string(),
  orgId: z.number().int(),
  /** Only the changed values, keyed by the flag fields' hash keys, in v2 value shapes. */
  customFields: z.record(z.string(), z.unknown()),
  changes: z.array(z.object({ flag: z.string(), from: z.unknown(), to: z.unknown() })),
});
export type UpdateOrgFlags = z.infer<typeof UpdateOrgFlags>;

export const PlannedWrite = z.discriminatedUnion('kind', [CreateActivity, DeleteActivity, UpdateOrgFlags]);
export type PlannedWrite = z.infer<typeof PlannedWrite>;

export const SkipCode = z.enum([
  'report_only',
  'not_applicable',
  'already_scheduled',
  'already_created',
  'no_assignee',
  'no_activity_type',
  'no_escalation_user',
  'cleared_left',
  'cleared_touched',
]);
export type SkipCode = z.infer<typeof SkipCode>;

export const Plan = z.object({
  companyId: z.string(),
  runId: z.string(),
  /** ISO instant the plan was computed for. */
  now: z.string(),
  writes: z.array(PlannedWrite),
  /** Gaps that deliberately produce no write, with the reason (report-only rule, already scheduled, …). */
  skipped: z.array(
    z.object({
      orgId: z.number().int(),
      ruleId: z.string().nullable(),
      reason: z.string(),
      /** Machine-readable reason (so a report can translate or count it). */
      code: SkipCode.optional(),
      /** The deterministic key the write would have had, when there is one. */
      key: z.string().optional(),
    }),
  ),
  /** Config problems that block some writes (flag field missing — run `cadence setup`, …). */
  /** What the planner could not do and why (English in `message`; reports render them in the policy's language). */
  warnings: z.array(Notice),
});
export type Plan = z.infer<typeof Plan>;
