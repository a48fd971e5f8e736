/**
 * The plan exactly as the nightly job computes it from a mirror (src/job/run-company-job.ts: fallback and
 * escalation users resolved from the policy, then assessCompany, then buildPlan). Shared by the sandbox's
 * steady-state seeding and the naive baseline, so that only the I/O strategy differs from the real job.
 */
import type { Policy } from '../src/config/policy-schema.js';
import type { MirrorSnapshot } from '../src/domain/entities.js';
import { buildPlan } from '../src/plan/build-plan.js';
import type { Plan } from '../src/plan/types.js';
import { assessCompany } from '../src/rules/assess-company.js';
import { resolveUserRef } from '../src/rules/resolve-user-ref.js';

export function planFor(policy: Policy, snapshot: MirrorSnapshot, now: Date, runId: string): Plan {
  const fallbackUserId = resolveUserRef(policy.owners.fallbackUser, snapshot.users)?.id ?? null;
  const escalationUserId = resolveUserRef(policy.owners.escalationUser, snapshot.users)?.id ?? null;
  const result = assessCompany(policy, snapshot, { now, timeZone: policy.timeZone }, { fallbackUserId });
  return buildPlan({ policy, result, snapshot, runId, companyId: snapshot.companyId, now, escalationUserId, fallbackUserId });
}
