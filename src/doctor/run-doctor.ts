/**
 * `cadence doctor`: checks that the token works, what it may do, that every field and activity type the
 * policy names exists, that the fallback and escalation users exist and are active, and that the time
 * zone is valid — and says exactly what to fix. Read-only.
 */
import type { Policy } from '../config/policy-schema.js';
import type { EntityKind, FieldDefinition, User } from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import { checkScopes, RECOMMENDED_SCOPES } from '../pipedrive/scopes.js';
import { PipedriveAuthError, PipedriveForbiddenError } from '../pipedrive/errors.js';
import { flagFieldSpecs, resolveFlagFields, sameName } from '../plan/flag-fields.js';
import { createFieldCatalogue, normalizeFieldName } from '../rules/field-catalogue.js';
import { resolveUserRef } from '../rules/resolve-user-ref.js';
import { fieldProblem } from '../setup/run-setup.js';
import { creatableActivityTypes, neededActivityTypes, neededFields } from '../setup/policy-needs.js';
import type { EncryptedSecretStore } from '../store/secret-store.js';
import { nearMiss } from '../setup/near-miss.js';

export type DoctorClient = Pick<PipedriveClient, 'getMe' | 'listUsers' | 'listActivityTypes' | 'getFields'> & {
  /** The OAuth app session (scopes granted), when the connection is an OAuth app install. */
  oauth?: { grantedScopes(): Promise<string[]> } | undefined;
};

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  /** Stable id, e.g. `token`, `field:organization:Tier`, `user:fallback`. */
  id: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** Exactly what to do, when status is not ok. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
  /** Pipedrive refused the token (401/403 on the first call): the CLI exits 3, as every command does. */
  credentialsRejected?: boolean;
}

export interface RunDoctorInput {
  client: DoctorClient;
  policy: Policy;
  logger: Logger;
  /** The company's encrypted secret store, and whether CADENCE_SECRET_KEY is set: checks the secrets at rest. */
  secrets?: { store: Pick<EncryptedSecretStore, 'inspect'>; keyConfigured: boolean };
}

const SET_KEY = 'set CADENCE_SECRET_KEY to 32 random bytes in base64 (`openssl rand -base64 32`)';

/**
 * The secrets at rest (OAuth tokens, webhook credentials): each must decrypt with the configured keys,
 * and none may sit in the store while no key is configured. Names and key ids only, never a value.
 */
export async function checkSecrets({ store, keyConfigured }: NonNullable<RunDoctorInput['secrets']>): Promise<DoctorCheck> {
  let stored: Awaited<ReturnType<typeof store.inspect>>;
  try {
    stored = await store.inspect();
  } catch (err) {
    return { id: 'secrets', status: 'fail', detail: `cannot read the secrets in the state store: ${(err as Error).message}`, fix: 'check CADENCE_STATE_URL and that the store is reachable' };
  }
  if (stored.length === 0) {
    return keyConfigured
      ? { id: 'secrets', status: 'ok', detail: 'no secret stored yet; CADENCE_SECRET_KEY is set, so OAuth tokens and webhook credentials will be stored encrypted' }
      : { id: 'secrets', status: 'ok', detail: `no secret stored; CADENCE_SECRET_KEY is not set, so none can be (${SET_KEY} before connecting OAuth or webhooks)` };
  }
  const names = stored.map((s) => s.name).join(', ');
  if (!keyConfigured) {
    return { id: 'secrets', status: 'fail', detail: `${stored.length} secret(s) stored (${names}) but CADENCE_SECRET_KEY is not set: they cannot be read`, fix: `${SET_KEY}: the key they were stored with (key id ${[...new Set(stored.map((s) => s.keyId))].join(', ')})` };
  }
  const unreadable = stored.filter((s) => s.problem !== null);
  if (unreadable.length > 0) {
    return { id: 'secrets', status: 'fail', detail: unreadable.map((s) => s.problem).join('; '), fix: 'add the key they were stored with to CADENCE_SECRET_KEY_PREVIOUS, or store those secrets again (re-connect the OAuth app)' };
  }
  const old = stored.filter((s) => !s.current);
  if (old.length > 0) {
    return { id: 'secrets', status: 'warn', detail: `${old.length} of ${stored.length} secret(s) are still under a previous key (${old.map((s) => s.name).join(', ')})`, fix: 'run `cadence rotate-key`, then remove CADENCE_SECRET_KEY_PREVIOUS' };
  }
  return { id: 'secrets', status: 'ok', detail: `${stored.length} secret(s) stored encrypted under CADENCE_SECRET_KEY (${names})` };
}

export async function runDoctor({ client, policy, logger, secrets }: RunDoctorInput): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (...cs: DoctorCheck[]): void => {
    for (const c of cs) {
      checks.push(c);
      const level = c.status === 'ok' ? 'debug' : c.status === 'warn' ? 'warn' : 'error';
      logger[level]({ check: c.id, status: c.status }, c.detail);
    }
  };
  // Time zone first: it needs no network.
  add(checkTimeZone(policy));
  // Secrets at rest: the state store only, no network.
  if (secrets) add(await checkSecrets(secrets));
  const token = await checkToken(client);
  add(token.check);
  if (!token.me) return { ok: false, checks, ...(token.credentialsRejected ? { credentialsRejected: true } : {}) };
  add(...(await checkOAuthScopes(client)));
  add(permissionsCheck(token.me));
  const catalogue = await readFieldCatalogue(client, add);
  add(...fieldChecks(policy, catalogue));
  // Flag fields (created by `cadence setup`).
  const orgFields = catalogue.get('organization');
  if (orgFields) add(...flagChecks(policy, orgFields));
  add(...(await checkUsers(client, policy)));
  add(...(await checkActivityTypes(client, policy)));
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

function checkTimeZone(policy: Policy): DoctorCheck {
  try {
    new Intl.DateTimeFormat('en', { timeZone: policy.timeZone });
    return { id: 'time-zone', status: 'ok', detail: `time zone ${policy.timeZone}` };
  } catch {
    return { id: 'time-zone', status: 'fail', detail: `"${policy.timeZone}" is not an IANA time zone`, fix: 'set timeZone in the policy (or CADENCE_TIME_ZONE) to a zone like America/Sao_Paulo' };
  }
}

type Me = Awaited<ReturnType<DoctorClient['getMe']>>;

/** The token: who it authenticates as, or why not (`me` absent: the other checks cannot run). */
async function checkToken(client: DoctorClient): Promise<{ check: DoctorCheck; me?: Me; credentialsRejected?: boolean }> {
  try {
    const me = await client.getMe();
    const company = me.companyName ? ` in company "${me.companyName}"${me.companyDomain ? ` (${me.companyDomain})` : ''}` : '';
    return { check: { id: 'token', status: 'ok', detail: `authenticated as ${me.user.name} <${me.user.email}>${company}` }, me };
  } catch (err) {
    const auth = err instanceof PipedriveAuthError || err instanceof PipedriveForbiddenError;
    const check: DoctorCheck = {
      id: 'token',
      status: 'fail',
      detail: auth ? `Pipedrive rejected the credentials (${err instanceof PipedriveAuthError ? 401 : 403})` : `cannot reach Pipedrive: ${(err as Error).message}`,
      fix: auth
        ? client.oauth
          ? (err as Error).message
          : 'set PIPEDRIVE_API_TOKEN to a valid token (Pipedrive → Personal preferences → API) and PIPEDRIVE_COMPANY_DOMAIN to your company subdomain'
        : 'check PIPEDRIVE_COMPANY_DOMAIN / PIPEDRIVE_BASE_URL and the network, then run `cadence doctor` again',
    };
    return { check, credentialsRejected: auth };
  }
}

/** OAuth scopes: each operation the worker calls, against what the app install was granted. */
async function checkOAuthScopes(client: DoctorClient): Promise<DoctorCheck[]> {
  if (!client.oauth) {
    return [{ id: 'scopes', status: 'ok', detail: `API token: the user's own permissions apply (an OAuth app install would need the scopes ${RECOMMENDED_SCOPES.join(', ')})` }];
  }
  const checks: DoctorCheck[] = [];
  const granted = await client.oauth.grantedScopes();
  const results = checkScopes(granted);
  const whats = { nightly: 'the nightly pull', 'write-back': 'the write-back', setup: '`cadence setup`', webhooks: 'the webhook subscriptions (near-real-time)' } as const;
  for (const use of ['nightly', 'write-back', 'setup', 'webhooks'] as const) {
    const missing = results.filter((r) => r.operation.use === use && !r.granted);
    const what = whats[use];
    if (missing.length === 0) {
      checks.push({ id: `scopes:${use}`, status: 'ok', detail: `OAuth scopes cover ${what} (granted: ${granted.join(' ') || 'none'})` });
      continue;
    }
    const calls = missing.map((m) => `${m.operation.method} ${m.operation.doc === 'v2' ? '/api/v2' : '/api/v1'}${m.operation.path} (needs one of ${m.operation.anyOf.join(', ')})`);
    checks.push({
      id: `scopes:${use}`,
      status: use === 'setup' || use === 'webhooks' ? 'warn' : 'fail',
      detail: `the OAuth app lacks scopes for ${what}: ${calls.join('; ')}`,
      fix: `add the scopes to the app in Pipedrive's Developer Hub (recommended: ${RECOMMENDED_SCOPES.join(', ')}) and re-authorize it, then set PIPEDRIVE_OAUTH_REFRESH_TOKEN to the new refresh token`,
    });
  }
  return checks;
}

/** Permissions: creating fields and activity types, and seeing every client, take an admin. */
function permissionsCheck(me: Me): DoctorCheck {
  return me.user.isAdmin
    ? { id: 'permissions', status: 'ok', detail: `${me.user.name} is a company admin` }
    : {
        id: 'permissions',
        status: 'warn',
        detail: `${me.user.name} is not a company admin: \`cadence setup\` cannot create fields or activity types, and records hidden by visibility settings are not seen`,
        fix: 'use the API token of an admin user, or have an admin run `cadence setup` and grant this user visibility of every organization',
      };
}

/** The field catalogue of each entity the policy can name; an entity that cannot be read is a failed check. */
async function readFieldCatalogue(client: DoctorClient, add: (c: DoctorCheck) => void): Promise<Map<EntityKind, FieldDefinition[]>> {
  const catalogue = new Map<EntityKind, FieldDefinition[]>();
  for (const entity of ['organization', 'person', 'deal'] as const) {
    try {
      catalogue.set(entity, await client.getFields(entity));
    } catch (err) {
      add({ id: `fields:${entity}`, status: 'fail', detail: `cannot read the ${entity} fields: ${(err as Error).message}`, fix: forbiddenFix(err) });
    }
  }
  return catalogue;
}

/** Every field the policy names, and its options, against the catalogue. */
function fieldChecks(policy: Policy, catalogue: ReadonlyMap<EntityKind, FieldDefinition[]>): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const resolver = createFieldCatalogue([...catalogue.values()].flat());
  for (const need of neededFields(policy)) {
    const fields = catalogue.get(need.entity);
    if (!fields) continue;
    const def = resolver.resolve(need.entity, need.name);
    const id = `field:${need.entity}:${need.name}`;
    if (!def) {
      const firstWord = normalizeFieldName(need.name).split(' ')[0]!;
      const similar = fields.filter((f) => normalizeFieldName(f.name).includes(firstWord)).map((f) => `"${f.name}"`);
      checks.push({
        id,
        status: 'fail',
        detail: `${need.entity} field "${need.name}" does not exist (named by ${need.usedBy.join(', ')})`,
        fix: `create the ${need.entity} field "${need.name}" in Pipedrive, or change ${need.usedBy[0]} to the name of an existing field${similar.length ? ` (similar: ${similar.slice(0, 3).join(', ')})` : ''}`,
      });
      continue;
    }
    const missing = need.options.filter((o) => def.options && !def.options.some((x) => sameName(x.label, o)));
    if (missing.length > 0) {
      checks.push({
        id,
        status: 'fail',
        detail: `${need.entity} field "${def.name}" has no option ${missing.map((o) => `"${o}"`).join(', ')}`,
        fix: `add the option${missing.length > 1 ? 's' : ''} in Pipedrive, or change the labels in ${need.usedBy.join(', ')} to existing ones: ${(def.options ?? []).map((o) => `"${o.label}"`).join(', ')}`,
      });
    } else {
      checks.push({ id, status: 'ok', detail: `${need.entity} field "${def.name}" exists (${def.fieldType})` });
    }
  }
  return checks;
}

/** The flag fields `cadence setup` creates: present, and of the right type and options. */
function flagChecks(policy: Policy, orgFields: FieldDefinition[]): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const { fields: flagFields, missing } = resolveFlagFields(policy, orgFields);
  for (const m of missing) {
    checks.push({ id: `flag:${m.flag}`, status: 'fail', detail: `flag field "${m.name}" does not exist`, fix: 'run `cadence setup` to create the flag fields' });
  }
  for (const wanted of flagFieldSpecs(policy)) {
    const def = flagFields[wanted.flag];
    if (!def) continue;
    const flag = wanted.flag;
    const problem = fieldProblem(def, wanted.fieldType, wanted.options);
    checks.push(problem ? { id: `flag:${flag}`, status: 'fail', detail: problem.problem, fix: problem.fix } : { id: `flag:${flag}`, status: 'ok', detail: `flag field "${def.name}" exists` });
  }
  return checks;
}

/** The fallback and escalation users: users of the company, and active. */
async function checkUsers(client: DoctorClient, policy: Policy): Promise<DoctorCheck[]> {
  let users: User[];
  try {
    users = await client.listUsers();
  } catch (err) {
    return [{ id: 'users', status: 'fail', detail: `cannot list users: ${(err as Error).message}`, fix: forbiddenFix(err) }];
  }
  const checks: DoctorCheck[] = [];
  const byId = new Map(users.map((u) => [u.id, u]));
  for (const [role, ref] of [
    ['fallback', policy.owners.fallbackUser],
    ['escalation', policy.owners.escalationUser],
  ] as const) {
    const u = resolveUserRef(ref, byId);
    const id = `user:${role}`;
    if (!u) checks.push({ id, status: 'fail', detail: `owners.${role}User "${ref}" is not a user of this company`, fix: `set owners.${role}User to the e-mail or id of an active user` });
    else if (!u.active) checks.push({ id, status: 'fail', detail: `owners.${role}User ${u.name} <${u.email}> is deactivated`, fix: `reactivate the user in Pipedrive or set owners.${role}User to an active user` });
    else checks.push({ id, status: 'ok', detail: `owners.${role}User is ${u.name} <${u.email}>` });
  }
  return checks;
}

/** Every activity type the policy names: present and active, with the nearest name when misspelled. */
async function checkActivityTypes(client: DoctorClient, policy: Policy): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  try {
    const types = await client.listActivityTypes();
    for (const need of neededActivityTypes(policy)) {
      const t = types.find((x) => x.keyString === need.keyString);
      const id = `activity-type:${need.keyString}`;
      // A type the policy names and the account lacks loses data (touchpoints not counted) or writes: a failure.
      const severity: CheckStatus = 'fail';
      if (!t) {
        const near = nearMiss(need.keyString, types.flatMap((x) => [x.keyString, x.name]));
        const nearType = near ? types.find((x) => x.keyString === near || x.name === near) : undefined;
        checks.push({
          id,
          status: severity,
          detail: `activity type "${need.keyString}" does not exist (used by ${need.usedBy.join(', ')})${need.createdByWorker ? '' : ': touchpoints of that type are not counted'}`,
          fix: nearType
            ? `did you mean "${nearType.keyString}" (${nearType.name})? fix ${need.usedBy[0]} in the policy`
            : creatableActivityTypes(policy).has(need.keyString)
              ? `run \`cadence setup\` to create it (it is listed in ${policy.setup.createActivityTypes.includes(need.keyString) ? 'setup.createActivityTypes' : 'categories.strategic.fupActivityType'})`
              : `fix the name in the policy, create it in Pipedrive, or list it in setup.createActivityTypes for \`cadence setup\` to create it; existing keys: ${types.filter((x) => x.active).map((x) => x.keyString).join(', ')}`,
        });
      } else if (!t.active) {
        checks.push({ id, status: severity, detail: `activity type "${need.keyString}" (${t.name}) is deactivated`, fix: 'reactivate it in Pipedrive (Company settings → Activity types) or change the policy' });
      } else checks.push({ id, status: 'ok', detail: `activity type "${need.keyString}" (${t.name})` });
    }
  } catch (err) {
    checks.push({ id: 'activity-types', status: 'fail', detail: `cannot list activity types: ${(err as Error).message}`, fix: forbiddenFix(err) });
  }
  return checks;
}

function forbiddenFix(err: unknown): string {
  return err instanceof PipedriveForbiddenError
    ? 'the token lacks permission for this: use an admin user’s token, or (OAuth) grant the app the admin scope'
    : 'check the network and Pipedrive status, then run `cadence doctor` again';
}

export function formatDoctorReport(report: DoctorReport): string {
  const mark: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗' };
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`${mark[c.status]} ${c.detail}`);
    if (c.fix) lines.push(`    fix: ${c.fix}`);
  }
  const fails = report.checks.filter((c) => c.status === 'fail').length;
  const warns = report.checks.filter((c) => c.status === 'warn').length;
  lines.push('', report.ok ? `all checks passed${warns ? ` (${warns} warning${warns > 1 ? 's' : ''})` : ''}` : `${fails} check${fails > 1 ? 's' : ''} failed, ${warns} warning${warns === 1 ? '' : 's'}`);
  return lines.join('\n');
}
