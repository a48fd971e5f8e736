/**
 * Report labels come from the policy (`texts.<locale>.report`, docs/policy.md §8). The keys the HTML report
 * uses are listed here so a test can check that the shipped policy has every one in every language;
 * a key missing from a custom policy falls back to the key itself rather than failing the run.
 */
import type { Templates } from '../config/policy-schema.js';
import type { EntityKind } from '../domain/entities.js';
import type { FindingProblem, RiskKind } from '../rules/types.js';
import type { WriteOutcome } from './report-schema.js';

export const REPORT_LABEL_KEYS = [
  'title',
  'summary',
  'company',
  'generatedAt',
  'today',
  'dataQuality',
  'cadence',
  'engagement',
  'run',
  'owner',
  'client',
  'clients',
  'clientsOverdue',
  'clientsNever',
  'noClient',
  'entity',
  'field',
  'problem',
  'detail',
  'tier',
  'tierReason',
  'revenue12m',
  'status',
  'health',
  'total',
  'rule',
  'cadenceDays',
  'gapDays',
  'lastTouchpoint',
  'nextDue',
  'scheduled',
  'created',
  'subject',
  'type',
  'dueDate',
  'reason',
  'outcome',
  'flagsWritten',
  'flag',
  'from',
  'to',
  'deletions',
  'skipped',
  'planWarnings',
  'risks',
  'kind',
  'completeness',
  'complete',
  'findings',
  'findingsByOwner',
  'countsByOwner',
  'countsByField',
  'unresolvedFields',
  'noFindings',
  'overdueList',
  'missedByOwner',
  'statusMatrix',
  'weeklyVolume',
  'week',
  'rising',
  'falling',
  'last4',
  'previous4',
  'breadth',
  'noOwner',
  'none',
  'startedAt',
  'finishedAt',
  'duration',
  'recordsSynced',
  'requests',
  'retries',
  'rate429',
  'warnings',
  'malformed',
  'dryRun',
  'yes',
  'no',
  'schemaVersion',
  'entity_organization',
  'entity_person',
  'entity_deal',
  'entity_activity',
  'problem_missing',
  'problem_invalid_option',
  'problem_not_a_number',
  'problem_invalid_monetary',
  'problem_invalid_date',
  'problem_invalid_email',
  'problem_invalid_phone',
  'problem_dangling_reference',
  'problem_unknown_field',
  'problem_no_owner',
  'problem_inactive_owner',
  'problem_no_decision_maker',
  'problem_missing_stakeholder_role',
  'problem_missing_relationship_strength',
  'problem_unknown_currency',
  'risk_key_person_dependency',
  'risk_no_decision_maker_contact',
  'risk_outreach_collision',
  'risk_falling_engagement',
  'risk_renewal_due',
  'risk_stakeholder_at_risk',
  'risk_shrinking_deals',
  'risk_recent_loss',
  'purpose_follow_up',
  'purpose_renewal',
  'purpose_escalation',
  'outcome_planned',
  'outcome_created',
  'outcome_adopted',
  'outcome_updated',
  'outcome_deleted',
  'outcome_already_done',
  'outcome_not_needed',
  'outcome_failed',
  'outcome_not_attempted',
  'duplicatesRemoved',
  'skip_report_only',
  'skip_not_applicable',
  'skip_already_scheduled',
  'skip_already_created',
  'skip_no_assignee',
  'skip_no_activity_type',
  'skip_no_escalation_user',
  'skip_cleared_left',
  'skip_cleared_touched',
  'deletionCleared',
  'rowsShown',
] as const;
export type ReportLabelKey = (typeof REPORT_LABEL_KEYS)[number];

/** Looks up report labels (falling back to the key) and the policy's status/trend texts. */
export interface Labels {
  (key: ReportLabelKey): string;
  status(s: keyof Templates['status']): string;
  trend(t: keyof Templates['trend']): string;
  entity(e: EntityKind): string;
  problem(p: FindingProblem): string;
  risk(r: RiskKind): string;
  purpose(p: 'follow_up' | 'renewal' | 'escalation'): string;
  outcome(o: WriteOutcome): string;
}

export function createLabels(texts: Templates): Labels {
  const get = (key: string): string => texts.report[key] ?? key;
  const labels = ((key: ReportLabelKey) => get(key)) as Labels;
  labels.status = (s) => texts.status[s];
  labels.trend = (t) => texts.trend[t];
  labels.entity = (e) => get(`entity_${e}`);
  labels.problem = (p) => get(`problem_${p}`);
  labels.risk = (r) => get(`risk_${r}`);
  labels.purpose = (p) => get(`purpose_${p}`);
  labels.outcome = (o) => get(`outcome_${o}`);
  return labels;
}
