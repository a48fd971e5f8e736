/**
 * What else is measured for strategic clients (docs/policy.md §10.5, `accountCare`), each read from an
 * organization field the firm keeps:
 *
 * - satisfaction (004 "NPS/CSAT"): no score dated within `satisfaction.maxAgeDays` → finding `stale_nps`;
 *   a latest score ≤ `satisfaction.detractorMax` → risk `detractor`. Both count in the health score (a
 *   finding and a risk like any other).
 * - executive sponsor (004): a user field; empty, or a user who is deactivated or unknown → finding
 *   `no_executive_sponsor`.
 * - account plan (004 "revisado trimestralmente"): a date field older than `accountPlan.maxAgeDays`, or
 *   empty → finding `stale_account_plan`, and the review's due date, which the planner turns into a reminder.
 *
 * Only for Tier `accountCare.minTier`+ clients (the detractor risk: any client with a score). A field the
 * account lacks is not checked here: the rules list it in `unresolvedFields` and `cadence doctor` fails on it.
 * Pure: `today` is a parameter.
 */
import type { Policy } from '../config/policy-schema.js';
import type { MirrorSnapshot, Organization } from '../domain/entities.js';
import type { EpochDay } from './calendar.js';
import { formatEpochDay, parseIsoDate } from './calendar.js';
import type { FieldCatalogue, ResolvedField } from './field-catalogue.js';
import { dateValue } from './field-values.js';
import type { Finding, Risk } from './types.js';

export interface AccountCareResult {
  findings: Finding[];
  risks: Risk[];
  /** Tier `minTier`+ with a plan due: the day the review was (or is) due, null when never reviewed; undefined when not due. */
  accountPlanDue?: { reviewedDate: string | null };
}

export interface AccountCare {
  assess(org: Organization, tier: number, today: EpochDay, responsible: number | null): AccountCareResult;
}

/** The score held by a number field (a number, or a numeric string), when it is one between 0 and 10. */
function scoreValue(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 10 ? n : null;
}

/** The user id held by a user field (an id, or an object carrying `id` / `value`). */
function userIdValue(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  if (typeof value === 'object' && value !== null) {
    const v = value as { id?: unknown; value?: unknown };
    return userIdValue(v.id ?? v.value);
  }
  return null;
}

export function createAccountCare(policy: Policy, catalogue: FieldCatalogue, snapshot: Pick<MirrorSnapshot, 'users'>): AccountCare {
  const care = policy.accountCare;
  const score = catalogue.resolve('organization', care.satisfaction.scoreField);
  const scoreDate = catalogue.resolve('organization', care.satisfaction.dateField);
  const sponsor = catalogue.resolve('organization', care.executiveSponsorField);
  const plan = catalogue.resolve('organization', care.accountPlan.reviewedField);
  const finding = (org: Organization, field: ResolvedField, problem: Finding['problem'], detail: string, ownerId: number | null, params: Finding['params'], textKey?: Finding['textKey']): Finding => ({
    entity: 'organization',
    entityId: org.id,
    orgId: org.id,
    field: field.name,
    problem,
    detail,
    ownerId,
    params,
    ...(textKey ? { textKey } : {}),
  });

  return {
    assess(org, tier, today, responsible) {
      const out: AccountCareResult = { findings: [], risks: [] };
      const strategic = tier >= care.minTier;
      if (score && scoreDate) {
        const value = scoreValue(score.read(org));
        const date = dateValue(scoreDate.read(org));
        const day = date === null ? null : parseIsoDate(date);
        const maxAge = care.satisfaction.maxAgeDays;
        if (strategic && (value === null || day === null || today - day > maxAge)) {
          const never = value === null || date === null;
          const detail = never ? `no ${score.name} score with a date on record` : `last ${score.name} score dated ${date}, more than ${maxAge} days ago`;
          const params: Finding['params'] = never ? { field: score.name, days: maxAge, tier } : { field: score.name, npsDate: date, days: maxAge, tier };
          out.findings.push(finding(org, score, 'stale_nps', detail, responsible, params, never ? 'stale_nps_never' : undefined));
        }
        if (value !== null && value <= care.satisfaction.detractorMax) {
          const npsDate = date ?? '—';
          out.risks.push({
            kind: 'detractor',
            detail: `latest ${score.name} score ${value} (${npsDate}) is at most ${care.satisfaction.detractorMax}`,
            evidence: { score: value, date: npsDate },
            params: { score: value, npsDate, max: care.satisfaction.detractorMax },
          });
        }
      }
      if (!strategic) return out;
      if (sponsor) {
        const id = userIdValue(sponsor.read(org));
        const user = id === null ? undefined : snapshot.users.get(id);
        if (!user?.active) {
          const inactive = id !== null;
          const who = user ? user.name : `#${id}`;
          const detail = inactive ? `executive sponsor ${who} is deactivated or not a user of the company` : `Tier ${tier} client without ${sponsor.name}`;
          const params: Finding['params'] = inactive ? { field: sponsor.name, sponsor: who, tier } : { field: sponsor.name, tier };
          out.findings.push(finding(org, sponsor, 'no_executive_sponsor', detail, responsible, params, inactive ? 'executive_sponsor_inactive' : undefined));
        }
      }
      if (plan) {
        const reviewed = dateValue(plan.read(org));
        const day = reviewed === null ? null : parseIsoDate(reviewed);
        const maxAge = care.accountPlan.maxAgeDays;
        if (day === null || today - day > maxAge) {
          const detail = reviewed === null ? `${plan.name} is empty` : `${plan.name} ${reviewed} is more than ${maxAge} days ago (due ${formatEpochDay(day! + maxAge)})`;
          const params: Finding['params'] = reviewed === null ? { field: plan.name, days: maxAge, tier } : { field: plan.name, reviewedDate: reviewed, days: maxAge, tier };
          out.findings.push(finding(org, plan, 'stale_account_plan', detail, responsible, params, reviewed === null ? 'stale_account_plan_never' : undefined));
          out.accountPlanDue = { reviewedDate: reviewed };
        }
      }
      return out;
    },
  };
}
