/**
 * Stakeholder role and relationship strength of persons (POLICY.md §7), read from the person custom
 * fields the policy names. Labels compare case-insensitively and trimmed, like field names.
 */
import type { Policy } from '../config/policy-schema.js';
import type { Person } from '../domain/entities.js';
import type { FieldCatalogue, ResolvedField } from './field-catalogue.js';
import { valueLabels } from './field-values.js';

export interface Stakeholders {
  roleField: ResolvedField | null;
  strengthField: ResolvedField | null;
  isDecisionMaker(person: Person): boolean;
  isChampion(person: Person): boolean;
  isAtRisk(person: Person): boolean;
}

const norm = (s: string) => s.trim().toLowerCase();

export function createStakeholders(policy: Policy['stakeholders'], catalogue: FieldCatalogue): Stakeholders {
  const roleField = catalogue.resolve('person', policy.roleField);
  const strengthField = catalogue.resolve('person', policy.strengthField);
  const dm = new Set(policy.decisionMakerRoles.map(norm));
  const champion = new Set(policy.championRoles.map(norm));
  const atRisk = new Set(policy.atRiskStrengths.map(norm));
  const has = (field: ResolvedField | null, person: Person, wanted: Set<string>) => {
    if (!field || wanted.size === 0) return false;
    return valueLabels(field.read(person), field.fieldType, field.options).some((l) => wanted.has(norm(l)));
  };
  return {
    roleField,
    strengthField,
    isDecisionMaker: (p) => has(roleField, p, dm),
    isChampion: (p) => has(roleField, p, champion),
    isAtRisk: (p) => has(strengthField, p, atRisk),
  };
}
