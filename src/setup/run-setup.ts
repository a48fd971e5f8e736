/**
 * `cadence setup`: creates, when missing, the organization flag fields (with their options in the policy's
 * language) and the activity types the policy names, and reports what it did. Never changes or deletes
 * anything that exists: a field or type in the wrong shape is reported with what to fix.
 */
import type { Policy } from '../config/policy-schema.js';
import type { FieldDefinition } from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import { flagFieldSpecs, sameName } from '../plan/flag-fields.js';
import { creatableActivityTypes, iconFor, neededActivityTypes } from './policy-needs.js';
import { nearMiss } from './near-miss.js';

export type SetupClient = Pick<PipedriveClient, 'getFields' | 'createField' | 'listActivityTypes' | 'createActivityType'>;

export type SetupActionKind = 'field_created' | 'field_ok' | 'field_problem' | 'type_created' | 'type_ok' | 'type_problem';

export interface SetupAction {
  kind: SetupActionKind;
  /** Field name or activity type key_string. */
  name: string;
  detail: string;
}

export interface SetupReport {
  actions: SetupAction[];
  created: number;
  problems: number;
  dryRun: boolean;
}

export interface RunSetupInput {
  client: SetupClient;
  policy: Policy;
  logger: Logger;
  /** Report what would be created without creating it. */
  dryRun?: boolean;
}

export async function runSetup({ client, policy, logger, dryRun = false }: RunSetupInput): Promise<SetupReport> {
  const actions: SetupAction[] = [];
  const act = (a: SetupAction): void => {
    actions.push(a);
    logger.info({ setup: a.kind, name: a.name }, a.detail);
  };

  // Flag fields on organizations.
  const orgFields: FieldDefinition[] = await client.getFields('organization');
  for (const spec of flagFieldSpecs(policy)) act(await setupFlagField(client, spec, orgFields, dryRun));

  // Activity types the policy names.
  const types = await client.listActivityTypes();
  const creatable = creatableActivityTypes(policy);
  for (const need of neededActivityTypes(policy)) act(await setupActivityType(client, creatable, need, types, dryRun));

  return {
    actions,
    created: actions.filter((a) => a.kind === 'field_created' || a.kind === 'type_created').length,
    problems: actions.filter((a) => a.kind.endsWith('_problem')).length,
    dryRun,
  };
}

/** One flag field: created when missing (added to `orgFields`), checked when it exists, refused when it nearly matches another. */
async function setupFlagField(
  client: SetupClient,
  spec: ReturnType<typeof flagFieldSpecs>[number],
  orgFields: FieldDefinition[],
  dryRun: boolean,
): Promise<SetupAction> {
  const found = orgFields.find((f) => f.isCustom && sameName(f.name, spec.name));
  const near = found ? undefined : nearMiss(spec.name, orgFields.map((f) => f.name));
  if (near) {
    return {
      kind: 'field_problem',
      name: spec.name,
      detail: `refusing to create organization field "${spec.name}": it nearly matches the existing "${near}"; rename that field in Pipedrive or set the flag's name in the policy (flags) to "${near}"`,
    };
  }
  if (!found) {
    if (dryRun) return { kind: 'field_created', name: spec.name, detail: `would create organization field "${spec.name}" (${spec.fieldType})` };
    const created = await client.createField('organization', { name: spec.name, fieldType: spec.fieldType, ...(spec.options ? { options: spec.options } : {}) });
    orgFields.push(created);
    const opts = spec.options ? ` with options ${spec.options.map((o) => `"${o}"`).join(', ')}` : '';
    return { kind: 'field_created', name: spec.name, detail: `created organization field "${spec.name}" (${spec.fieldType})${opts}, key ${created.key}` };
  }
  const problem = fieldProblem(found, spec.fieldType, spec.options);
  if (problem) return { kind: 'field_problem', name: spec.name, detail: `${problem.problem}: ${problem.fix}` };
  return { kind: 'field_ok', name: spec.name, detail: `organization field "${spec.name}" exists (${found.fieldType})` };
}

/** One activity type the policy names: checked when it exists, created (added to `types`) only when the policy lists it. */
async function setupActivityType(
  client: SetupClient,
  /** The types setup may create, by key, with their names (creatableActivityTypes). */
  creatable: ReadonlyMap<string, string>,
  need: ReturnType<typeof neededActivityTypes>[number],
  types: Awaited<ReturnType<SetupClient['listActivityTypes']>>,
  dryRun: boolean,
): Promise<SetupAction> {
  const found = types.find((t) => t.keyString === need.keyString);
  if (found?.active) return { kind: 'type_ok', name: need.keyString, detail: `activity type "${need.keyString}" exists (${found.name})` };
  if (found) {
    return {
      kind: 'type_problem',
      name: need.keyString,
      detail: `activity type "${need.keyString}" (${found.name}) is deactivated: reactivate it in Pipedrive (Company settings → Activity types); used by ${need.usedBy.join(', ')}`,
    };
  }
  // Only what the policy asks for explicitly, and never a twin of a type that exists ("Meating").
  const near = nearMiss(need.keyString, types.flatMap((t) => [t.keyString, t.name]));
  const nearType = near ? types.find((t) => t.keyString === near || t.name === near) : undefined;
  if (nearType) {
    return {
      kind: 'type_problem',
      name: need.keyString,
      detail: `refusing to create activity type "${need.keyString}": it nearly matches the existing "${nearType.keyString}" (${nearType.name}); fix ${need.usedBy.join(', ')} in the policy`,
    };
  }
  const name = creatable.get(need.keyString);
  if (name === undefined) {
    return {
      kind: 'type_problem',
      name: need.keyString,
      detail: `activity type "${need.keyString}" does not exist (used by ${need.usedBy.join(', ')}): fix the name in the policy, create it in Pipedrive, or list it in setup.createActivityTypes for setup to create it`,
    };
  }
  if (dryRun) return { kind: 'type_created', name: need.keyString, detail: `would create activity type "${name}" for ${need.usedBy.join(', ')}` };
  const created = await client.createActivityType(name, iconFor(need.keyString));
  types.push(created);
  if (created.keyString !== need.keyString) {
    return {
      kind: 'type_problem',
      name: need.keyString,
      detail: `created activity type "${name}" but Pipedrive gave it the key "${created.keyString}": use "${created.keyString}" in ${need.usedBy.join(', ')}`,
    };
  }
  return { kind: 'type_created', name: need.keyString, detail: `created activity type "${name}" (key ${created.keyString}) for ${need.usedBy.join(', ')}` };
}

/** What is wrong with an existing flag field and how to fix it, or null. */
export function fieldProblem(def: FieldDefinition, fieldType: string, options: readonly string[] | null): { problem: string; fix: string } | null {
  const textual = ['varchar', 'text', 'varchar_auto'].includes(def.fieldType);
  const compatible =
    def.fieldType === fieldType || textual || (fieldType === 'enum' && def.fieldType === 'set') || (fieldType === 'double' && def.fieldType === 'int');
  if (!compatible) {
    return {
      problem: `organization field "${def.name}" is of type ${def.fieldType}, expected ${fieldType}`,
      fix: 'delete or rename it in Pipedrive and run `cadence setup` again',
    };
  }
  if (options && (def.fieldType === 'enum' || def.fieldType === 'set')) {
    const missing = options.filter((o) => !(def.options ?? []).some((x) => sameName(x.label, o)));
    if (missing.length > 0) {
      return {
        problem: `organization field "${def.name}" lacks the option${missing.length > 1 ? 's' : ''} ${missing.map((o) => `"${o}"`).join(', ')}`,
        fix: `add ${missing.length > 1 ? 'them' : 'it'} in Pipedrive (Company settings → Data fields)`,
      };
    }
  }
  return null;
}

export function formatSetupReport(report: SetupReport): string {
  const mark: Record<SetupActionKind, string> = { field_created: '+', type_created: '+', field_ok: '✓', type_ok: '✓', field_problem: '!', type_problem: '!' };
  const lines = report.actions.map((a) => `${mark[a.kind]} ${a.detail}`);
  const verb = report.dryRun ? 'would create' : 'created';
  lines.push('', `${verb} ${report.created}, ${report.problems} problem${report.problems === 1 ? '' : 's'} to fix by hand`);
  return lines.join('\n');
}
