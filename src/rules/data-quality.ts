/**
 * Data quality (docs/policy.md §1, §6): required fields of the organization, its persons and its open deals
 * (optionally only for some tiers), checked by Pipedrive field type; plus owners, decision makers and
 * stakeholder fields.
 *
 * Who is asked to fix a finding: the record's owner when that is an active user, else the
 * organization's owner when active, else the fallback user.
 *
 * Stakeholder role and relationship strength are checked for every person of a client by the dedicated
 * checks (`missing_stakeholder_role`, `missing_relationship_strength`, `invalid_option`); when the policy
 * also lists them under requiredFields.person the generic check skips them so a person is not reported twice.
 */
import type { Policy } from '../config/policy-schema.js';
import { isArchivedDeal, type Activity, type Deal, type EntityKind, type MirrorSnapshot, type Organization, type Person, type User } from '../domain/entities.js';
import type { FieldCatalogue, FieldRecord, ResolvedField } from './field-catalogue.js';
import type { ReferenceLookup, ValueProblem } from './field-values.js';
import { checkFieldValue } from './field-values.js';
import type { CompiledRule } from './cadence.js';
import { qualifies } from './cadence.js';
import type { EpochDay } from './calendar.js';
import { formatEpochDay } from './calendar.js';
import type { ActivityEntry, OrgMirror } from './mirror-index.js';
import { CATEGORY_BIT, categoriesOfMask } from './touchpoints.js';
import type { Stakeholders } from './stakeholders.js';
import type { Finding } from './types.js';

interface RequiredCheck {
  field: ResolvedField;
  /** Tiers the requirement applies to; null = every tier. */
  tiers: ReadonlySet<number> | null;
}

export interface DataQuality {
  /** Findings of a client: the organization, its persons and its open deals. */
  forOrg(org: OrgMirror, tier: number): Finding[];
  /** Findings of persons and open deals without an organization (tier-limited requirements do not apply). */
  forOrphans(persons: readonly Person[], deals: readonly Deal[]): Finding[];
}

export interface DataQualityContext {
  policy: Policy;
  /** Today in the firm's calendar and the policy's compiled cadence rules: for `held_without_notes`. */
  today?: EpochDay;
  rules?: ReadonlyMap<string, CompiledRule>;
  catalogue: FieldCatalogue;
  snapshot: MirrorSnapshot;
  stakeholders: Stakeholders;
  /** Resolved fallback user (active), or null. */
  fallbackUserId: number | null;
}

/** The required-field checks compiled against the company's fields, and what every check reads. */
interface CompiledChecks {
  ctx: DataQualityContext;
  orgChecks: RequiredCheck[];
  personChecks: RequiredCheck[];
  /** Person checks for clients' persons: the stakeholder fields have their own findings. */
  personChecksForClients: RequiredCheck[];
  dealChecks: RequiredCheck[];
  /** Built-in field names as the company spells them (the finding's `field` is shown to admins). */
  ownerField: string;
  decisionMakerRoles: string;
  refs: ReferenceLookup;
  /** Findings without an offending value (most are blanks) share one params object per field (a cache). */
  fieldOnly: Map<string, Finding['params']>;
  /** "FUP sem registro" (docs/policy.md §10.3), when the context gives today and the rules. */
  heldWithoutNotes: ReturnType<typeof createNotesCheck> | null;
}

export function createDataQuality(ctx: DataQualityContext): DataQuality {
  const dq = compileChecks(ctx);
  return {
    forOrg: (om, tier) => orgFindings(dq, om, tier),
    forOrphans(persons, deals) {
      const out: Finding[] = [];
      for (const p of persons) checkRequired(dq, out, 'person', p, null, dq.personChecks, null);
      for (const d of deals) if (d.status === 'open' && !isArchivedDeal(d)) checkRequired(dq, out, 'deal', d, null, dq.dealChecks, null);
      return out;
    },
  };
}

function compileChecks(ctx: DataQualityContext): CompiledChecks {
  const { policy, catalogue, snapshot, stakeholders } = ctx;
  const compile = (entity: 'organization' | 'person' | 'deal'): RequiredCheck[] => {
    const out: RequiredCheck[] = [];
    for (const req of policy.requiredFields[entity]) {
      const field = catalogue.resolve(entity, req.field);
      if (field) out.push({ field, tiers: req.tiers ? new Set(req.tiers) : null });
    }
    return out;
  };
  const orgChecks = compile('organization');
  const personChecks = compile('person');
  const stakeholderKeys = new Set([stakeholders.roleField?.key, stakeholders.strengthField?.key].filter((k): k is string => k !== undefined));
  return {
    ctx,
    orgChecks,
    personChecks,
    personChecksForClients: personChecks.filter((c) => !stakeholderKeys.has(c.field.key)),
    dealChecks: compile('deal'),
    ownerField: catalogue.resolve('organization', 'Owner')?.name ?? 'Owner',
    decisionMakerRoles: policy.stakeholders.decisionMakerRoles.join(' / '),
    refs: {
      hasUser: (id) => snapshot.users.has(id),
      hasPerson: (id) => snapshot.persons.get(id)?.isDeleted === false,
      hasOrganization: (id) => snapshot.organizations.get(id)?.isDeleted === false,
      hasDeal: (id) => snapshot.deals.get(id)?.isDeleted === false,
    },
    fieldOnly: new Map(),
    heldWithoutNotes: ctx.today === undefined ? null : createNotesCheck(policy, ctx.today, ctx.rules ?? new Map()),
  };
}

/**
 * "FUP sem registro" (docs/policy.md §10.3): a done touchpoint of `categories.requireNotes.categories` (the
 * FUP, a QBR, a planning session) held within the last `days` whose note is empty — the checklist was not
 * used. Only activities whose note is known (Activity.hasNote) are judged; the finding goes to the
 * activity's owner. `kind` names it by the most specific cadence rule it counts for, else its category.
 */
function createNotesCheck(policy: Policy, today: EpochDay, rules: ReadonlyMap<string, CompiledRule>) {
  const { categories, days } = policy.categories.requireNotes;
  let mask = 0;
  for (const c of categories) mask |= CATEGORY_BIT[c];
  // Narrower rules (a subject pattern: annual planning) name it before broader ones (QBR); onboarding last.
  const ordered = [...rules.values()].sort((a, b) => rank(a) - rank(b));
  const label = (l: { 'pt-BR': string; en: string }) => l[policy.locale];
  const except = new Set(policy.categories.requireNotes.exceptRules);
  const ruleOf = (e: ActivityEntry): CompiledRule | undefined => ordered.find((r) => (e.mask & r.bit) !== 0 && qualifies(r, e));
  const kindOf = (e: ActivityEntry, rule: CompiledRule | undefined): string =>
    rule ? label(rule.rule.label) : label(policy.categories[categoriesOfMask(e.mask & mask)[0]!].label);
  return (out: Finding[], om: OrgMirror, ownerOf: (a: Activity) => number | null): void => {
    for (const e of om.touchpoints) {
      if (e.activity.hasNote !== false || (e.mask & mask) === 0 || today - e.day! > days) continue;
      const rule = ruleOf(e);
      if (rule && except.has(rule.id)) continue;
      const heldDate = formatEpochDay(e.day!);
      out.push({
        entity: 'activity',
        entityId: e.activity.id,
        orgId: om.org.id,
        field: NOTE_FIELD,
        problem: 'held_without_notes',
        detail: `done ${categoriesOfMask(e.mask).join('/')} activity "${e.activity.subject}" of ${heldDate} has an empty note`,
        ownerId: ownerOf(e.activity),
        params: { field: NOTE_FIELD, subject: e.activity.subject, heldDate, kind: kindOf(e, rule) },
      });
    }
  };
}

/** The activity's note as Pipedrive names the field (activity fields are not in the catalogue). */
const NOTE_FIELD = 'Note';

function rank(r: CompiledRule): number {
  if (r.rule.kind === 'onboarding') return 2;
  return r.subject === null ? 1 : 0;
}

function activeUser(dq: CompiledChecks, id: number | null): number | null {
  if (id === null) return null;
  const u: User | undefined = dq.ctx.snapshot.users.get(id);
  return u?.active ? id : null;
}

/** Who a finding goes to: the record's active owner, else the organization's, else the fallback user. */
function responsible(dq: CompiledChecks, recordOwner: number | null, org: Organization | null): number | null {
  return activeUser(dq, recordOwner) ?? activeUser(dq, org?.ownerId ?? null) ?? dq.ctx.fallbackUserId;
}

function paramsOf(dq: CompiledChecks, fieldName: string, problem: ValueProblem): Finding['params'] {
  if (problem.params.value === undefined && problem.params.count === undefined) {
    let params = dq.fieldOnly.get(fieldName);
    if (params === undefined) dq.fieldOnly.set(fieldName, (params = { field: fieldName }));
    return params;
  }
  return { field: fieldName, ...problem.params };
}

function checkRequired(
  dq: CompiledChecks,
  out: Finding[],
  entity: EntityKind,
  record: FieldRecord & { id: number; ownerId: number | null },
  org: Organization | null,
  checks: readonly RequiredCheck[],
  tier: number | null,
): void {
  for (const c of checks) {
    if (c.tiers !== null && (tier === null || !c.tiers.has(tier))) continue;
    const problem = checkFieldValue(c.field.fieldType, c.field.read(record), c.field.options, dq.refs);
    if (problem) {
      out.push({
        entity,
        entityId: record.id,
        orgId: org?.id ?? null,
        field: c.field.name,
        problem: problem.problem,
        detail: problem.detail,
        ownerId: responsible(dq, record.ownerId, org),
        params: paramsOf(dq, c.field.name, problem),
        textKey: problem.textKey,
      });
    }
  }
}

function checkStakeholderField(dq: CompiledChecks, out: Finding[], person: Person, org: Organization, field: ResolvedField | null, missing: Finding['problem']): void {
  if (!field) return;
  const problem = checkFieldValue(field.fieldType, field.read(person), field.options, dq.refs);
  if (!problem) return;
  out.push({
    entity: 'person',
    entityId: person.id,
    orgId: org.id,
    field: field.name,
    problem: problem.problem === 'missing' ? missing : problem.problem,
    detail: problem.detail,
    ownerId: responsible(dq, person.ownerId, org),
    params: paramsOf(dq, field.name, problem),
    textKey: problem.textKey,
  });
}

/** No owner, or an owner who is deactivated or not a user of the company. */
function ownerFinding(dq: CompiledChecks, org: Organization): Finding | null {
  const { ownerField } = dq;
  const { fallbackUserId, snapshot } = dq.ctx;
  if (org.ownerId === null) {
    return { entity: 'organization', entityId: org.id, orgId: org.id, field: ownerField, problem: 'no_owner', detail: 'the organization has no owner', ownerId: fallbackUserId, params: { field: ownerField } };
  }
  const owner = snapshot.users.get(org.ownerId);
  if (owner?.active) return null;
  return {
    entity: 'organization',
    entityId: org.id,
    orgId: org.id,
    field: ownerField,
    problem: 'inactive_owner',
    detail: owner ? `owner #${owner.id} (${owner.name}) is deactivated` : `owner #${org.ownerId} is not a user of the company`,
    ownerId: fallbackUserId,
    params: { field: ownerField, owner: owner ? owner.name : `#${org.ownerId}` },
    ...(owner ? {} : { textKey: 'unknown_owner' as const }),
  };
}

function orgFindings(dq: CompiledChecks, om: OrgMirror, tier: number): Finding[] {
  const { org, persons, deals } = om;
  const { policy, stakeholders } = dq.ctx;
  const out: Finding[] = [];
  const owner = ownerFinding(dq, org);
  if (owner) out.push(owner);
  checkRequired(dq, out, 'organization', org, org, dq.orgChecks, tier);

  if (tier >= policy.risks.decisionMakerMinTier && stakeholders.roleField && !persons.some((p) => stakeholders.isDecisionMaker(p))) {
    out.push({
      entity: 'organization',
      entityId: org.id,
      orgId: org.id,
      field: stakeholders.roleField.name,
      problem: 'no_decision_maker',
      detail: `Tier ${tier} client without a person whose ${stakeholders.roleField.name} is ${dq.decisionMakerRoles}`,
      ownerId: responsible(dq, org.ownerId, org),
      params: { field: stakeholders.roleField.name, tier, roles: dq.decisionMakerRoles },
    });
  }

  for (const p of persons) {
    checkRequired(dq, out, 'person', p, org, dq.personChecksForClients, tier);
    checkStakeholderField(dq, out, p, org, stakeholders.roleField, 'missing_stakeholder_role');
    checkStakeholderField(dq, out, p, org, stakeholders.strengthField, 'missing_relationship_strength');
  }
  // Archived deals are out of the pipeline (and not editable through the API): not checked.
  for (const d of deals) if (d.status === 'open' && !isArchivedDeal(d)) checkRequired(dq, out, 'deal', d, org, dq.dealChecks, tier);
  dq.heldWithoutNotes?.(out, om, (a) => responsible(dq, a.ownerId, org));
  return out;
}
