/**
 * The policy checked against the account (every night, and by `cadence doctor`): the activity types,
 * fields, options and users it names must exist and be active, or part of what it asks is silently
 * lost (a category listing `emial` counts no e-mail touchpoint). Pure: the account's catalogue in, the
 * problems out, each as a notice code with its params (src/i18n/message-keys.ts) and a near name when
 * one exists ("did you mean meeting?").
 */
import type { Policy } from '../config/policy-schema.js';
import { nearMiss } from './near-miss.js';
import type { ActivityType, FieldDefinition, User } from '../domain/entities.js';
import type { NoticeCode } from '../i18n/message-keys.js';
import { createFieldCatalogue } from '../rules/field-catalogue.js';
import { resolveUserRef } from '../rules/resolve-user-ref.js';
import { sameName } from '../plan/flag-fields.js';
import { neededActivityTypes, neededFields } from './policy-needs.js';
import type { MessageParams } from '../domain/vocabulary.js';

export interface PolicyProblem {
  code: NoticeCode;
  params: MessageParams;
}

export interface AccountCatalogue {
  activityTypes: readonly ActivityType[];
  fields: readonly FieldDefinition[];
  users: ReadonlyMap<number, User>;
}

const hint = (name: string, candidates: readonly string[]): string => {
  const near = nearMiss(name, candidates);
  return near ? ` (did you mean "${near}"?)` : '';
};

export function checkPolicyAgainstAccount(policy: Policy, account: AccountCatalogue): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const activeTypes = account.activityTypes.filter((t) => t.active).map((t) => t.keyString);
  for (const need of neededActivityTypes(policy)) {
    if (activeTypes.includes(need.keyString)) continue;
    const type = `${need.keyString}${hint(need.keyString, activeTypes)}`;
    const categories = [...new Set(need.usedBy.flatMap((u) => /^categories\.([a-z]+)\./.exec(u)?.[1] ?? []))];
    for (const category of categories) {
      problems.push({ code: 'policy_type_not_counted', params: { type, category, usedBy: need.usedBy.filter((u) => u.startsWith(`categories.${category}.`)).join(', ') } });
    }
    const creators = need.usedBy.filter((u) => !u.startsWith('categories.'));
    if (creators.length > 0 && need.createdByWorker) problems.push({ code: 'policy_type_not_creatable', params: { type, usedBy: creators.join(', ') } });
  }
  const catalogue = createFieldCatalogue([...account.fields]);
  for (const need of neededFields(policy)) {
    const def = catalogue.resolve(need.entity, need.name);
    if (!def) {
      const names = account.fields.filter((f) => f.entity === need.entity).map((f) => f.name);
      problems.push({ code: 'policy_field_missing', params: { entity: need.entity, field: `${need.name}${hint(need.name, names)}`, usedBy: need.usedBy.join(', ') } });
      continue;
    }
    const missing = need.options.filter((o) => def.options && !def.options.some((x) => sameName(x.label, o)));
    if (missing.length > 0) {
      problems.push({ code: 'policy_option_missing', params: { field: def.name, options: missing.map((o) => `"${o}"`).join(', '), usedBy: need.usedBy.join(', ') } });
    }
  }
  for (const [role, ref] of [
    ['fallback', policy.owners.fallbackUser],
    ['escalation', policy.owners.escalationUser],
  ] as const) {
    const u = resolveUserRef(ref, account.users);
    if (u && !u.active) problems.push({ code: 'policy_user_inactive', params: { role, user: `${u.name} <${u.email}>` } });
  }
  return problems;
}
