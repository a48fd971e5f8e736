/** In-memory fakes of the Pipedrive client and the company state, for apply's unit tests. */
import { AuditEntry, type ApplyClient, type ApplyState } from '../../../src/apply/ports.js';
import type { Activity, Organization, ActivityDraft } from '../../../src/domain/entities.js';
import { extractCadenceKey } from '../../../src/domain/provenance.js';
import { AmbiguousWriteError } from '../../../src/pipedrive/errors.js';

export class FakePipedrive implements ApplyClient {
  activities = new Map<number, Activity>();
  orgFields = new Map<number, Record<string, unknown>>();
  nextId = 1000;
  calls: string[] = [];
  /** Runs just before a POST is applied (another replica acting in between). */
  beforeCreate: ((draft: ActivityDraft) => void) | null = null;
  /** Decides how a POST ends: applied normally, applied but the answer lost, not applied and lost, or an error. */
  createMode: (draft: ActivityDraft) => 'ok' | 'lost_after_apply' | 'lost_before_apply' | Error = () => 'ok';
  clock = '2026-03-12T15:00:00Z';

  insert(draft: ActivityDraft, over: Partial<Activity> = {}): Activity {
    const a: Activity = {
      id: this.nextId++,
      subject: draft.subject,
      type: draft.type,
      ownerId: draft.owner_id,
      orgId: draft.org_id,
      dealId: draft.deal_id ?? null,
      personId: draft.participants?.[0]?.person_id ?? null,
      participantPersonIds: draft.participants?.map((p) => p.person_id) ?? [],
      done: false,
      dueDate: draft.due_date,
      dueTime: null,
      markedAsDoneTime: null,
      addTime: this.clock,
      updateTime: this.clock,
      isDeleted: false,
      cadenceKey: extractCadenceKey(draft.note),
      ...over,
    };
    this.activities.set(a.id, a);
    return a;
  }

  async createActivity(draft: ActivityDraft): Promise<Activity> {
    this.calls.push(`POST ${draft.org_id}`);
    this.beforeCreate?.(draft);
    const mode = this.createMode(draft);
    if (mode instanceof Error) throw mode;
    if (mode === 'lost_before_apply') throw new AmbiguousWriteErrorLike();
    const a = this.insert(draft);
    if (mode === 'lost_after_apply') throw new AmbiguousWriteErrorLike();
    return a;
  }

  async deleteActivity(id: number): Promise<{ id: number; alreadyGone: boolean }> {
    this.calls.push(`DELETE ${id}`);
    const a = this.activities.get(id);
    if (!a || a.isDeleted) return { id, alreadyGone: true };
    this.activities.set(id, { ...a, isDeleted: true });
    return { id, alreadyGone: false };
  }

  async listOpenActivitiesForOrg(orgId: number): Promise<Activity[]> {
    this.calls.push(`LIST ${orgId}`);
    return [...this.activities.values()].filter((a) => a.orgId === orgId && !a.done && !a.isDeleted).sort((a, b) => a.id - b.id);
  }

  async updateOrganizationCustomFields(orgId: number, customFields: Record<string, unknown>): Promise<Organization> {
    this.calls.push(`PATCH ${orgId}`);
    this.orgFields.set(orgId, { ...this.orgFields.get(orgId), ...customFields });
    return { id: orgId, name: `Org ${orgId}`, ownerId: null, address: null, addTime: this.clock, updateTime: this.clock, isDeleted: false, customFields: this.orgFields.get(orgId)! };
  }

  live(key?: string): Activity[] {
    return [...this.activities.values()].filter((a) => !a.isDeleted && (key === undefined || a.cadenceKey === key));
  }

  writes(): string[] {
    return this.calls.filter((c) => !c.startsWith('LIST'));
  }
}

class AmbiguousWriteErrorLike extends AmbiguousWriteError {
  constructor() {
    super('POST /api/v2/activities: timeout', { method: 'POST', path: '/api/v2/activities' });
  }
}

export class MemoryState implements ApplyState {
  entries = new Map<string, Record<string, unknown>>();
  auditLog: AuditEntry[] = [];
  /** Throws on the n-th ledger put (1-based) to simulate a crash at that point. */
  failOnPut: number | null = null;
  puts = 0;

  ledger = {
    get: async (key: string) => this.entries.get(key),
    put: async (key: string, entry: Record<string, unknown>) => {
      this.puts += 1;
      if (this.failOnPut === this.puts) throw new Error('simulated crash: state store unavailable');
      this.entries.set(key, entry);
    },
    keys: async () => [...this.entries.keys()],
  };
  audit = {
    append: async (e: Record<string, unknown>) => {
      this.auditLog.push(AuditEntry.parse(e));
      return this.auditLog.length - 1;
    },
    list: async () => [...this.auditLog],
    count: async () => this.auditLog.length,
  };
}
