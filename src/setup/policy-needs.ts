/**
 * What the policy expects to exist in the Pipedrive company: activity types (by `key_string`) and fields
 * (by name). Shared by `cadence setup` (creates what it may) and `cadence doctor` (checks everything).
 */
import { CATEGORIES, type Policy } from '../config/policy-schema.js';
import type { EntityKind } from '../domain/entities.js';

export interface NeededActivityType {
  keyString: string;
  /** Where the policy names it, e.g. `cadenceRules.strategic.followUpType`. */
  usedBy: string[];
  /** True when the worker creates activities of this type (a missing one blocks writes, not just matching). */
  createdByWorker: boolean;
}

export function neededActivityTypes(policy: Policy): NeededActivityType[] {
  const out = new Map<string, NeededActivityType>();
  const add = (keyString: string, where: string, createdByWorker: boolean): void => {
    const cur = out.get(keyString) ?? { keyString, usedBy: [], createdByWorker: false };
    cur.usedBy.push(where);
    cur.createdByWorker ||= createdByWorker;
    out.set(keyString, cur);
  };
  for (const [id, rule] of Object.entries(policy.cadenceRules)) add(rule.followUpType, `cadenceRules.${id}.followUpType`, rule.onGap === 'create');
  add(policy.renewal.activityType, 'renewal.activityType', true);
  add(policy.accountCare.accountPlan.activityType, 'accountCare.accountPlan.activityType', true);
  add(policy.handover.activityType, 'handover.activityType', true);
  add(policy.escalation.activityType, 'escalation.activityType', true);
  for (const category of CATEGORIES) {
    policy.categories[category].match.forEach((m, i) => m.activityTypes.forEach((t) => add(t, `categories.${category}.match[${i}].activityTypes`, false)));
  }
  const fup = policy.categories.strategic.fupActivityType;
  if (fup) add(fup.keyString, 'categories.strategic.fupActivityType', false);
  return [...out.values()];
}

export interface NeededField {
  entity: EntityKind;
  name: string;
  usedBy: string[];
  /** Option labels the policy relies on (enum/set fields). */
  options: string[];
}

/** Fields the rules read (required fields, tier, contract end, stakeholder fields, squad field). */
export function neededFields(policy: Policy): NeededField[] {
  const out = new Map<string, NeededField>();
  const add = (entity: EntityKind, name: string, where: string, options: string[] = []): void => {
    const id = `${entity}:${name.trim().toLowerCase()}`;
    const cur = out.get(id) ?? { entity, name, usedBy: [], options: [] };
    cur.usedBy.push(where);
    for (const o of options) if (!cur.options.includes(o)) cur.options.push(o);
    out.set(id, cur);
  };
  for (const entity of ['organization', 'person', 'deal'] as const) {
    policy.requiredFields[entity].forEach((f, i) => add(entity, f.field, `requiredFields.${entity}[${i}]`));
  }
  add('organization', policy.tierField.name, 'tierField.name', Object.keys(policy.tierField.options));
  add('organization', policy.renewal.contractEndField, 'renewal.contractEndField');
  add('person', policy.stakeholders.roleField, 'stakeholders.roleField', [...policy.stakeholders.decisionMakerRoles, ...policy.stakeholders.championRoles]);
  add('person', policy.stakeholders.strengthField, 'stakeholders.strengthField', policy.stakeholders.atRiskStrengths);
  if (policy.keyAccount.dealField) add('deal', policy.keyAccount.dealField.name, 'keyAccount.dealField.name', policy.keyAccount.dealField.values);
  const retainer = policy.tierCriteria.recurrence.retainerField;
  if (retainer) add('deal', retainer.name, 'tierCriteria.recurrence.retainerField.name', retainer.values);
  // docs/policy.md §10.5: the firm's own data, checked by doctor and never created by setup.
  const care = policy.accountCare;
  add('organization', care.satisfaction.scoreField, 'accountCare.satisfaction.scoreField');
  add('organization', care.satisfaction.dateField, 'accountCare.satisfaction.dateField');
  add('organization', care.executiveSponsorField, 'accountCare.executiveSponsorField');
  add('organization', care.accountPlan.reviewedField, 'accountCare.accountPlan.reviewedField');
  return [...out.values()];
}

/**
 * Activity types `cadence setup` creates when missing, by key_string, with the name it gives them: those
 * listed in `setup.createActivityTypes`, and the FUP type of `categories.strategic.fupActivityType`.
 */
export function creatableActivityTypes(policy: Policy): Map<string, string> {
  const out = new Map(policy.setup.createActivityTypes.map((k) => [k, typeNameFor(k)] as const));
  const fup = policy.categories.strategic.fupActivityType;
  if (fup) out.set(fup.keyString, fup.name);
  return out;
}

const ICONS = new Set(['task', 'email', 'meeting', 'deadline', 'call', 'lunch']);

/** An icon for a new activity type: its own name when Pipedrive has such an icon, else `task`. */
export function iconFor(keyString: string): string {
  return ICONS.has(keyString) ? keyString : 'task';
}

/** A display name for a type the policy names by key (`annual_review` → `Annual review`). */
export function typeNameFor(keyString: string): string {
  const words = keyString.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
