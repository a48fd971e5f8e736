/**
 * The sandbox's demo company as the report sees it: the generated dataset is serialised to Pipedrive's
 * wire shapes by the sandbox's own serialisers and parsed by the worker's record parsers (the sync's
 * edge), giving the same MirrorSnapshot a sync would store, without HTTP. Then the real rules and planner.
 */
import { generateDataset } from '../../../sandbox/generator.js';
import { v2Field } from '../../../sandbox/fields.js';
import type { Dataset, Kind } from '../../../sandbox/model.js';
import { activityOut, dealOut, organizationOut, personOut, v1ActivityTypeOut, v1UserOut } from '../../../sandbox/serialize.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { MirrorSnapshot } from '../../../src/domain/entities.js';
import {
  ActivityTypeRecord, FieldRecord, parseEntityRecords, toActivityType, toFieldDefinition, toUser, UserRecord,
} from '../../../src/pipedrive/records.js';
import { buildPlan } from '../../../src/plan/build-plan.js';
import type { Plan } from '../../../src/plan/types.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import type { RulesResult } from '../../../src/rules/types.js';

export const DEMO_NOW = new Date('2026-03-12T15:00:00Z');

export function snapshotFromDataset(dataset: Dataset, companyId: string): MirrorSnapshot {
  const cfKeys = (kind: Kind) => dataset.fields.filter((f) => f.entity === kind && f.isCustom).map((f) => f.key);
  const parse = <E extends Kind>(entity: E, wire: unknown[]) => {
    const { records, malformed } = parseEntityRecords(entity, wire);
    if (malformed.length > 0) throw new Error(`demo ${entity} records do not parse: ${JSON.stringify(malformed.slice(0, 3))}`);
    return new Map(records.map((r) => [r.id, r]));
  };
  return {
    companyId,
    organizations: parse('organization', dataset.organizations.map((r) => organizationOut(r, cfKeys('organization')))),
    persons: parse('person', dataset.persons.map((r) => personOut(r, cfKeys('person')))),
    deals: parse('deal', dataset.deals.map((r) => dealOut(r, cfKeys('deal')))),
    activities: parse('activity', dataset.activities.map((r) => activityOut(r, false))),
    users: new Map(dataset.users.map((u) => [u.id, toUser(UserRecord.parse(v1UserOut(u, dataset.meUserId)))])),
    activityTypes: dataset.activityTypes.map((t) => toActivityType(ActivityTypeRecord.parse(v1ActivityTypeOut(t)))),
    fields: dataset.fields.map((f) => toFieldDefinition(f.entity, FieldRecord.parse(v2Field(f)))),
  };
}

export interface DemoRun {
  dataset: Dataset;
  snapshot: MirrorSnapshot;
  result: RulesResult;
  plan: Plan;
}

/** The demo company through rules and planner. `rename` changes org names first (hostile-name tests). */
export function runDemo(policy: Policy, rename: Record<number, string> = {}): DemoRun {
  const dataset = generateDataset({ seed: 7, now: DEMO_NOW, scale: 'demo' });
  for (const o of dataset.organizations) if (rename[o.id] !== undefined) o.name = rename[o.id]!;
  const snapshot = snapshotFromDataset(dataset, 'demo');
  const result = assessCompany(policy, snapshot, { now: DEMO_NOW, timeZone: policy.timeZone });
  const plan = buildPlan({
    policy, result, snapshot, runId: 'demo-2026-03-12', companyId: 'demo', now: DEMO_NOW,
    escalationUserId: dataset.meUserId, fallbackUserId: dataset.meUserId,
  });
  return { dataset, snapshot, result, plan };
}
