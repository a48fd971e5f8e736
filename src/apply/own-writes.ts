/**
 * Puts the effect of the worker's own writes into the mirror right after they are applied: flag values
 * written, follow-ups created (as the worker created them: untouched), follow-ups deleted. Pipedrive sends
 * each write back as a webhook event; the background processing recognizes those echoes and neither pulls
 * nor re-assesses them (webhooks/classify.ts), so without this the mirror would hold the old flag values
 * until the next night and a later batch would write the same flags again. The next nightly sync pulls the
 * real records (their update time is after its bookmark) and they replace these.
 */
import type { Activity, MirrorSnapshot, Organization } from '../domain/entities.js';
import type { CompanyState } from '../store/company-state.js';
import type { CreateActivity, Plan } from '../plan/types.js';
import type { ApplySummary } from './apply-plan.js';

export interface OwnWritesMirrored {
  flags: number;
  created: number;
  deleted: number;
}

function createdActivity(w: CreateActivity, id: number, at: string): Activity {
  const d = w.activity;
  const participants = d.participants?.map((p) => p.person_id) ?? [];
  return {
    id,
    subject: d.subject,
    type: d.type,
    ownerId: d.owner_id,
    orgId: d.org_id,
    dealId: d.deal_id ?? null,
    personId: d.participants?.find((p) => p.primary)?.person_id ?? participants[0] ?? null,
    participantPersonIds: participants,
    done: false,
    dueDate: d.due_date,
    dueTime: null,
    markedAsDoneTime: null,
    addTime: at,
    updateTime: at,
    isDeleted: false,
    cadenceKey: w.key,
    hasNote: null,
  };
}

/** Writes what `apply` did into the mirror (nothing on a dry run). */
export async function mirrorOwnWrites(
  state: Pick<CompanyState, 'mirror'>,
  input: { plan: Plan; apply: ApplySummary; snapshot: MirrorSnapshot; now: Date },
): Promise<OwnWritesMirrored> {
  const { plan, apply, snapshot } = input;
  if (apply.dryRun) return { flags: 0, created: 0, deleted: 0 };
  const at = input.now.toISOString();
  const byKey = new Map(plan.writes.map((w) => [w.key, w]));
  const orgs: Organization[] = [];
  const created: Activity[] = [];
  const deleted: number[] = [];
  for (const r of apply.results) {
    const w = byKey.get(r.key);
    if (!w) continue;
    if (w.kind === 'update_org_flags' && r.outcome === 'updated') {
      const org = snapshot.organizations.get(w.orgId);
      if (org) orgs.push({ ...org, customFields: { ...org.customFields, ...w.customFields } });
    } else if (w.kind === 'create_activity' && r.outcome === 'created' && r.pipedriveId !== undefined) {
      created.push(createdActivity(w, r.pipedriveId, at));
    } else if (w.kind === 'delete_activity' && r.outcome === 'deleted') {
      deleted.push(w.activityId);
    }
  }
  if (orgs.length > 0) await state.mirror.writePage('organization', { upserts: orgs });
  if (created.length > 0 || deleted.length > 0) await state.mirror.writePage('activity', { upserts: created, deletes: deleted });
  return { flags: orgs.length, created: created.length, deleted: deleted.length };
}
