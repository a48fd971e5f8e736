/**
 * Stakeholder role and relationship strength of persons (docs/policy.md §7), read from the person custom
 * fields the policy names. Labels compare case-insensitively and trimmed, like field names.
 */
import type { Policy } from '../config/policy-schema.js';
import type { Person } from '../domain/entities.js';
import type { FieldCatalogue, ResolvedField } from './field-catalogue.js';
import { optionIds, valueLabels } from './field-values.js';

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
  // Option fields (the usual case) are matched by option id, resolved once: these checks run several
  // times per person per run. Text fields compare the text itself.
  const matcher = (field: ResolvedField | null, wanted: Set<string>): ((person: Person) => boolean) => {
    if (!field || wanted.size === 0) return () => false;
    if ((field.fieldType === 'enum' || field.fieldType === 'set') && field.options) {
      const ids = new Set(field.options.filter((o) => wanted.has(norm(o.label))).map((o) => o.id));
      if (ids.size === 0) return () => false;
      return (person) => {
        const v = field.read(person);
        if (typeof v === 'number') return ids.has(v);
        return optionIds(v).ids.some((id) => ids.has(id));
      };
    }
    return (person) => valueLabels(field.read(person), field.fieldType, field.options).some((l) => wanted.has(norm(l)));
  };
  return {
    roleField,
    strengthField,
    isDecisionMaker: matcher(roleField, dm),
    isChampion: matcher(roleField, champion),
    isAtRisk: matcher(strengthField, atRisk),
  };
}
