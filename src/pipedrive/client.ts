/**
 * The Pipedrive client the sync and apply steps use. It speaks through the official `pipedrive` SDK (v2 for
 * deals, persons, organizations, activities and the Fields API; v1 only where v2 has no equivalent:
 * activity types and users), with every API built by `…ApiFactory(configuration, undefined, ourAxios)` so
 * that every call goes through the one policy-carrying axios instance of http.ts (DEPENDENCIES.md §4).
 *
 * Everything it returns is parsed at the edge into domain types (records.ts); malformed records are
 * reported, never dropped silently.
 */
import {
  Configuration,
  ActivitiesApiFactory,
  ActivityFieldsApiFactory,
  DealFieldsApiFactory,
  DealsApiFactory,
  OrganizationFieldsApiFactory,
  OrganizationsApiFactory,
  PersonFieldsApiFactory,
  PersonsApiFactory,
} from 'pipedrive/v2';
import { Configuration as V1Configuration, ActivityTypesApiFactory, UsersApiFactory, WebhooksApiFactory } from 'pipedrive/v1';
import { z } from 'zod';
import type { PipedriveConnection } from '../config/load-config.js';
import type { Activity, ActivityType, EntityKind, FieldDefinition, Organization, User, ActivityDraft } from '../domain/entities.js';
import type { Logger } from '../log/logger.js';
import type { RetryPolicy } from './decide-retry.js';
import { AmbiguousWriteError, MalformedResponseError, PipedriveNotFoundError, PipedriveRequestError } from './errors.js';
import { createPipedriveHttp, type BudgetSnapshot, type HttpStats, type PipedriveHttp } from './http.js';
import { paginateCursor } from './paginate.js';
import {
  ActivityRecord,
  ActivityTypeRecord,
  CurrentUserRecord,
  FieldRecord,
  OrganizationRecord,
  UserRecord,
  parseEntityRecords,
  parseRecords,
  toActivity,
  toActivityType,
  toFieldDefinition,
  toOrganization,
  toUser,
  type DomainOf,
  type MalformedRecord,
} from './records.js';
import { PAGE_SIZE } from './token-costs.js';
import { WebhookRecord, toWebhookSubscription, type NewWebhook, type WebhookSubscription } from './webhook-records.js';
import { OAuthSession } from './oauth.js';
import type { SecretStore } from '../store/secret-store.js';
import type { Clock } from '../domain/clock.js';

type SdkAxios = NonNullable<Parameters<typeof DealsApiFactory>[2]>;

export type SortBy = 'id' | 'update_time' | 'add_time';

export interface IterateOptions {
  /** RFC3339; inclusive (`update_time >= updatedSince`, PIPEDRIVE.md §2.1). */
  updatedSince?: string;
  /** RFC3339; exclusive. */
  updatedUntil?: string;
  sortBy?: SortBy;
  sortDirection?: 'asc' | 'desc';
  /** Resume a walk from a cursor returned earlier with the same filters. */
  cursor?: string;
  /** Page size; the API maximum (500) unless a test wants small pages. */
  limit?: number;
  /**
   * Deals only: also list deals deleted in the last 30 days (`status=open,won,lost,deleted`), so an
   * incremental pass sees deletions (they come back with `isDeleted: true`). Ignored for other entities,
   * whose v2 lists have no such filter (PIPEDRIVE.md §11.4).
   */
  includeDeleted?: boolean;
  /**
   * Deals only: walk GET /api/v2/deals/archived (20 tokens a page) instead of GET /api/v2/deals, which
   * lists only non-archived deals (PIPEDRIVE.md §2.1, changelog 2025-07-15).
   */
  archived?: boolean;
}

export interface ParsedPage<E extends EntityKind> {
  entity: E;
  records: DomainOf[E][];
  malformed: MalformedRecord[];
  /** Items the API returned on this page (parsed + malformed). */
  rawCount: number;
  /** The cursor this page was requested with (undefined for the first page). */
  requestCursor: string | undefined;
  /** Cursor of the next page; null when this was the last page. */
  cursor: string | null;
}

export interface ActivityPatch extends Partial<Omit<ActivityDraft, 'done'>> {
  done?: boolean;
}

export interface NewField {
  name: string;
  /** A creatable v2 field type (PIPEDRIVE.md §3.3), e.g. `enum`, `varchar`, `date`. */
  fieldType: string;
  /** Option labels for `enum` / `set` fields. */
  options?: readonly string[];
}

export interface CurrentUser {
  user: User;
  companyId: number | null;
  companyName: string | null;
  companyDomain: string | null;
}

export interface ClientStats extends HttpStats {
  /** Records the client could not parse (pages, users, activity types, fields). */
  malformedCount: number;
  /** The first 500 of them, with entity, id and field. */
  malformed: MalformedRecord[];
}

export interface PipedriveClientOptions {
  connection: PipedriveConnection;
  logger: Logger;
  /** Test seams: the clock, the sleep used for waits, and the jitter source. */
  clock?: Pick<Clock, 'now'>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  retry?: Partial<RetryPolicy>;
  /** Page size for list walks (default and maximum 500). */
  pageSize?: number;
  /** Where an OAuth app's tokens are kept (required with `connection.oauthApp`). */
  secrets?: SecretStore;
  /** Test seam: the clock that decides when an OAuth access token is due for refresh. */
  oauthClock?: Pick<Clock, 'now'>;
}

function missingSecretStore(): never {
  throw new Error('an OAuth app connection needs the state store for its tokens: build the client with `secrets`');
}

const ListEnvelope = z
  .object({
    data: z.array(z.unknown()).nullish(),
    additional_data: z.object({ next_cursor: z.string().nullish() }).loose().nullish(),
  })
  .loose();
const V1ListEnvelope = z.object({ data: z.array(z.unknown()).nullish() }).loose();
const ItemEnvelope = z.object({ data: z.unknown() }).loose();

const MALFORMED_KEEP = 500;

const ENTITY_PATH: Record<EntityKind, string> = {
  organization: '/api/v2/organizations',
  person: '/api/v2/persons',
  deal: '/api/v2/deals',
  activity: '/api/v2/activities',
};

function v2Apis(cfg: Configuration, ax: SdkAxios) {
  return {
    organizations: OrganizationsApiFactory(cfg, undefined, ax),
    persons: PersonsApiFactory(cfg, undefined, ax),
    deals: DealsApiFactory(cfg, undefined, ax),
    activities: ActivitiesApiFactory(cfg, undefined, ax),
    organizationFields: OrganizationFieldsApiFactory(cfg, undefined, ax),
    personFields: PersonFieldsApiFactory(cfg, undefined, ax),
    dealFields: DealFieldsApiFactory(cfg, undefined, ax),
    activityFields: ActivityFieldsApiFactory(cfg, undefined, ax),
  };
}
type V2Apis = ReturnType<typeof v2Apis>;

type ListParams = { limit: number; cursor?: string; updated_since?: string; updated_until?: string; sort_by?: string; sort_direction?: string; ids?: string };
type ListExtra = { org_id?: number; done?: boolean };

/** What the client calls for one entity: its list, its Fields API list, and field creation where the API allows it. */
interface EntityApi {
  list(params: ListParams, options: IterateOptions, extra: ListExtra): Promise<unknown>;
  listFields(params: { limit: number; cursor?: string }): Promise<unknown>;
  /** Absent for activities: v2 activityFields is read-only. */
  addField?(request: object): Promise<unknown>;
}

/** One row per entity: adding an entity is adding a row here (and its path in ENTITY_PATH). */
function entityApis(v2: V2Apis): Record<EntityKind, EntityApi> {
  return {
    organization: {
      list: (params) => v2.organizations.getOrganizations(params as never),
      listFields: (params) => v2.organizationFields.getOrganizationFields(params),
      addField: (request) => v2.organizationFields.addOrganizationField({ AddOrganizationFieldRequest: request as never }),
    },
    person: {
      list: (params) => v2.persons.getPersons(params as never),
      listFields: (params) => v2.personFields.getPersonFields(params),
      addField: (request) => v2.personFields.addPersonField({ AddPersonFieldRequest: request as never }),
    },
    deal: {
      list: (params, options) => {
        // The SDK types `status` as one literal; the API takes a comma list (PIPEDRIVE.md §9).
        const status = options.includeDeleted ? ('open,won,lost,deleted' as 'open') : undefined;
        const request = { ...(params as object), ...(status ? { status } : {}) };
        return options.archived ? v2.deals.getArchivedDeals(request as never) : v2.deals.getDeals(request as never);
      },
      listFields: (params) => v2.dealFields.getDealFields(params),
      addField: (request) => v2.dealFields.addDealField({ AddDealFieldRequest: request as never }),
    },
    activity: {
      list: (params, _options, extra) =>
        v2.activities.getActivities({
          ...params,
          ...(extra.org_id !== undefined ? { org_id: extra.org_id } : {}),
          ...(extra.done !== undefined ? { done: extra.done } : {}),
        } as never),
      listFields: (params) => v2.activityFields.getActivityFields(params),
    },
  };
}

export class PipedriveClient {
  private readonly http: PipedriveHttp;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly malformed: MalformedRecord[] = [];
  private malformedCount = 0;
  private readonly v2: V2Apis;
  private readonly byEntity: Record<EntityKind, EntityApi>;
  private readonly v1;
  /** The OAuth app session, when the connection is an OAuth app install. */
  readonly oauth: OAuthSession | undefined;

  constructor(options: PipedriveClientOptions) {
    const { connection } = options;
    if (!connection.apiToken && !connection.oauthAccessToken && !connection.oauthApp) {
      throw new Error('no Pipedrive credentials: set PIPEDRIVE_API_TOKEN (or PIPEDRIVE_OAUTH_ACCESS_TOKEN, or an OAuth app: PIPEDRIVE_OAUTH_CLIENT_ID, _CLIENT_SECRET, _REFRESH_TOKEN)');
    }
    // An OAuth app install: tokens renewed through the SDK's OAuth2Configuration and kept in the state store.
    const session =
      !connection.apiToken && connection.oauthApp
        ? new OAuthSession({
            app: connection.oauthApp,
            secrets: options.secrets ?? missingSecretStore(),
            logger: options.logger,
            ...(options.oauthClock ? { clock: options.oauthClock } : {}),
          })
        : undefined;
    this.oauth = session;
    this.log = options.logger;
    this.pageSize = Math.min(PAGE_SIZE, Math.max(1, options.pageSize ?? PAGE_SIZE));
    this.http = createPipedriveHttp({
      timeoutMs: connection.timeoutMs,
      concurrency: connection.concurrency,
      logger: options.logger,
      authKind: connection.apiToken ? 'api-token' : 'oauth',
      ...(session
        ? { onUnauthorized: async (rejected: string | undefined) => `Bearer ${(await session.refresh('401', rejected?.replace(/^Bearer\s+/i, ''))).accessToken}` }
        : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    const base = connection.baseUrl.replace(/\/+$/, '');
    // The API token takes precedence; OAuth bearer only when there is no token (PIPEDRIVE.md §1).
    const auth = connection.apiToken
      ? { apiKey: connection.apiToken }
      : session
        ? { accessToken: () => session.accessToken() }
        : { accessToken: connection.oauthAccessToken as string };
    const v2cfg = new Configuration({ ...auth, basePath: `${base}/api/v2` });
    const v1cfg = new V1Configuration({ ...auth, basePath: `${base}/api/v1` });
    const ax = this.http.axios as unknown as SdkAxios;
    this.v2 = v2Apis(v2cfg, ax);
    this.byEntity = entityApis(this.v2);
    const ax1 = this.http.axios as unknown as NonNullable<Parameters<typeof UsersApiFactory>[2]>;
    this.v1 = {
      users: UsersApiFactory(v1cfg, undefined, ax1),
      activityTypes: ActivityTypesApiFactory(v1cfg, undefined, ax1),
      webhooks: WebhooksApiFactory(v1cfg, undefined, ax1),
    };
  }

  // ---------------------------------------------------------------- reads

  /** Walks one entity's v2 list, 500 per page, yielding parsed pages. */
  async *iterate<E extends EntityKind>(entity: E, options: IterateOptions = {}): AsyncGenerator<ParsedPage<E>> {
    for await (const page of this.rawPages(entity, options)) {
      const { records, malformed } = parseEntityRecords(entity, page.items);
      this.noteMalformed(malformed);
      yield { entity, records, malformed, rawCount: page.items.length, requestCursor: page.cursor, cursor: page.nextCursor };
    }
  }

  /**
   * Every id of one entity, for reconciliation. v2 lists have no field projection, so the cheapest walk
   * is the plain list at 500 per page sorted by id (10 tokens a page), reading only `id` and skipping the
   * parse of everything else.
   */
  async listIds(entity: EntityKind, onPage?: (idsSoFar: number) => void, options: { archived?: boolean } = {}): Promise<number[]> {
    const ids: number[] = [];
    for await (const page of this.rawPages(entity, { sortBy: 'id', ...(options.archived ? { archived: true } : {}) })) {
      for (const item of page.items) {
        const id = (item as { id?: unknown } | null)?.id;
        if (typeof id === 'number' && Number.isInteger(id) && id > 0) ids.push(id);
        else this.noteMalformed([{ entity, id: null, field: 'id', message: 'record without a usable id' }]);
      }
      onPage?.(ids.length);
    }
    return ids;
  }

  /** Fetches specific records (≤100 ids per request, PIPEDRIVE.md §2.1); ids not returned are `missing`. */
  async getByIds<E extends EntityKind>(entity: E, ids: readonly number[]): Promise<{ records: DomainOf[E][]; malformed: MalformedRecord[]; missing: number[] }> {
    const records: DomainOf[E][] = [];
    const malformed: MalformedRecord[] = [];
    const seen = new Set<number>();
    const fetch = async (wanted: readonly number[], archived: boolean) => {
      for (let i = 0; i < wanted.length; i += 100) {
        const chunk = wanted.slice(i, i + 100);
        for await (const page of this.rawPages(entity, { sortBy: 'id', ...(archived ? { archived: true } : {}) }, { ids: chunk.join(',') })) {
          for (const item of page.items) {
            const id = (item as { id?: unknown } | null)?.id;
            if (typeof id === 'number') seen.add(id);
          }
          const parsed = parseEntityRecords(entity, page.items);
          records.push(...parsed.records);
          malformed.push(...parsed.malformed);
        }
      }
    };
    await fetch(ids, false);
    // Deals the plain list did not return may be archived: GET /api/v2/deals/archived has them.
    if (entity === 'deal') await fetch(ids.filter((id) => !seen.has(id)), true);
    this.noteMalformed(malformed);
    return { records, malformed, missing: ids.filter((id) => !seen.has(id)) };
  }

  /** The field catalogue of one entity (v2 Fields API), system and custom fields. */
  async getFields(entity: EntityKind): Promise<FieldDefinition[]> {
    const out: FieldDefinition[] = [];
    const path = `/api/v2/${entity}Fields`;
    const pages = paginateCursor(
      async (cursor) => {
        const params = { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) };
        const body = await this.byEntity[entity].listFields(params);
        return this.readList(body, 'GET', path);
      },
      { path },
    );
    for await (const page of pages) {
      const { records, malformed } = parseRecords(`${entity}Field`, page.items, FieldRecord, (r) => toFieldDefinition(entity, r));
      this.noteMalformed(malformed);
      out.push(...records);
    }
    return out;
  }

  async listUsers(): Promise<User[]> {
    const body = await this.v1.users.getUsers();
    const parsed = V1ListEnvelope.safeParse(body);
    if (!parsed.success) throw this.malformedResponse('GET', '/api/v1/users');
    const { records, malformed } = parseRecords('user', parsed.data.data ?? [], UserRecord, toUser);
    this.noteMalformed(malformed);
    return records;
  }

  async getMe(): Promise<CurrentUser> {
    const body = await this.v1.users.getCurrentUser();
    const item = this.readItem(body, 'GET', '/api/v1/users/me');
    const parsed = CurrentUserRecord.safeParse(item);
    if (!parsed.success) throw this.malformedResponse('GET', '/api/v1/users/me', parsed.error);
    return {
      user: toUser(parsed.data),
      companyId: parsed.data.company_id ?? null,
      companyName: parsed.data.company_name ?? null,
      companyDomain: parsed.data.company_domain ?? null,
    };
  }

  async listActivityTypes(): Promise<ActivityType[]> {
    const body = await this.v1.activityTypes.getActivityTypes();
    const parsed = V1ListEnvelope.safeParse(body);
    if (!parsed.success) throw this.malformedResponse('GET', '/api/v1/activityTypes');
    const { records, malformed } = parseRecords('activityType', parsed.data.data ?? [], ActivityTypeRecord, toActivityType);
    this.noteMalformed(malformed);
    return records;
  }

  /** Open activities of one organization (v2 `org_id` + `done=false`), with their provenance keys. */
  async listOpenActivitiesForOrg(orgId: number): Promise<Activity[]> {
    const out: Activity[] = [];
    for await (const page of this.rawPages('activity', { sortBy: 'id' }, { org_id: orgId, done: false })) {
      const { records, malformed } = parseEntityRecords('activity', page.items);
      this.noteMalformed(malformed);
      out.push(...records);
    }
    return out;
  }

  // ---------------------------------------------------------------- writes

  async createField(entity: EntityKind, field: NewField): Promise<FieldDefinition> {
    const path = `/api/v2/${entity}Fields`;
    const request = {
      field_name: field.name,
      field_type: field.fieldType,
      ...(field.options ? { options: field.options.map((label) => ({ label })) } : {}),
    };
    const { addField } = this.byEntity[entity];
    if (!addField) {
      throw new PipedriveRequestError(`${entity} custom fields cannot be created through the API (v2 ${entity}Fields is read-only): create the field in Pipedrive settings`, { method: 'POST', path });
    }
    const body = await addField(request);
    const parsed = FieldRecord.safeParse(this.readItem(body, 'POST', path));
    if (!parsed.success) throw new AmbiguousWriteError(`POST ${path}: the field was probably created but the response is unreadable: refresh the field catalogue`, { method: 'POST', path });
    return toFieldDefinition(entity, parsed.data);
  }

  async createActivityType(name: string, iconKey: string): Promise<ActivityType> {
    const path = '/api/v1/activityTypes';
    const body = await this.v1.activityTypes.addActivityType({ AddActivityTypeRequest: { name, icon_key: iconKey as never } });
    const parsed = ActivityTypeRecord.safeParse(this.readItem(body, 'POST', path));
    if (!parsed.success) throw new AmbiguousWriteError(`POST ${path}: the activity type was probably created but the response is unreadable: list activity types again`, { method: 'POST', path });
    return toActivityType(parsed.data);
  }

  /** POST /api/v2/activities. A timeout or 5xx throws AmbiguousWriteError (never auto-retried). */
  async createActivity(draft: ActivityDraft): Promise<Activity> {
    const path = '/api/v2/activities';
    const body = await this.v2.activities.addActivity({ AddActivityRequest: draft as never });
    let item: unknown;
    try {
      item = this.readItem(body, 'POST', path);
    } catch {
      item = undefined;
    }
    const parsed = ActivityRecord.safeParse(item);
    if (!parsed.success) {
      throw new AmbiguousWriteError(`POST ${path}: Pipedrive answered 2xx but the created activity is unreadable: reconcile by its provenance key before creating it again`, { method: 'POST', path });
    }
    return toActivity(parsed.data);
  }

  async updateActivity(id: number, patch: ActivityPatch): Promise<Activity> {
    const path = `/api/v2/activities/${id}`;
    const body = await this.v2.activities.updateActivity({ id, AddActivityRequest: patch as never });
    const parsed = ActivityRecord.safeParse(this.readItem(body, 'PATCH', path));
    if (!parsed.success) throw this.malformedResponse('PATCH', path, parsed.error);
    return toActivity(parsed.data);
  }

  /**
   * DELETE /api/v2/activities/{id} (soft delete). A 404 means it is already gone, which is what the caller
   * wanted (e.g. a retried delete whose first attempt went through): reported as `alreadyGone`.
   */
  async deleteActivity(id: number): Promise<{ id: number; alreadyGone: boolean }> {
    try {
      await this.v2.activities.deleteActivity({ id });
      return { id, alreadyGone: false };
    } catch (err) {
      if (err instanceof PipedriveNotFoundError) return { id, alreadyGone: true };
      throw err;
    }
  }

  /** PATCH /api/v2/organizations/{id} with only `custom_fields` (v2 value shapes, PIPEDRIVE.md §3.2). */
  async updateOrganizationCustomFields(orgId: number, customFields: Record<string, unknown>): Promise<Organization> {
    const path = `/api/v2/organizations/${orgId}`;
    const body = await this.v2.organizations.updateOrganization({ id: orgId, UpdateOrganizationRequest: { custom_fields: customFields } as never });
    const parsed = OrganizationRecord.safeParse(this.readItem(body, 'PATCH', path));
    if (!parsed.success) throw this.malformedResponse('PATCH', path, parsed.error);
    return toOrganization(parsed.data);
  }

  // ---------------------------------------------------------------- webhook subscriptions (v1 only)

  /** GET /api/v1/webhooks: every subscription of the company (10 tokens). */
  async listWebhooks(): Promise<WebhookSubscription[]> {
    const body = await this.v1.webhooks.getWebhooks();
    const parsed = V1ListEnvelope.safeParse(body);
    if (!parsed.success) throw this.malformedResponse('GET', '/api/v1/webhooks');
    const { records, malformed } = parseRecords('webhook', parsed.data.data ?? [], WebhookRecord, toWebhookSubscription);
    this.noteMalformed(malformed);
    return records;
  }

  /** POST /api/v1/webhooks, version 2.0, with HTTP Basic credentials (10 tokens). */
  async createWebhook(hook: NewWebhook): Promise<WebhookSubscription> {
    const path = '/api/v1/webhooks';
    const body = await this.v1.webhooks.addWebhook({
      AddWebhookRequest: {
        subscription_url: hook.url,
        event_action: hook.eventAction,
        event_object: hook.eventObject,
        name: hook.name,
        http_auth_user: hook.authUser,
        http_auth_password: hook.authPassword,
        version: '2.0',
      },
    });
    const parsed = WebhookRecord.safeParse(this.readItem(body, 'POST', path));
    if (!parsed.success) throw new AmbiguousWriteError(`POST ${path}: the webhook was probably created but the response is unreadable: run setup again (it lists first)`, { method: 'POST', path });
    return toWebhookSubscription(parsed.data);
  }

  /** DELETE /api/v1/webhooks/{id} (6 tokens); already gone counts as done. */
  async deleteWebhook(id: number): Promise<{ id: number; alreadyGone: boolean }> {
    try {
      await this.v1.webhooks.deleteWebhook({ id });
      return { id, alreadyGone: false };
    } catch (err) {
      if (err instanceof PipedriveNotFoundError) return { id, alreadyGone: true };
      throw err;
    }
  }

  // ---------------------------------------------------------------- observability

  stats(): ClientStats {
    return { ...this.http.stats(), malformedCount: this.malformedCount, malformed: [...this.malformed] };
  }

  /** The rate-limit and daily-budget figures of the last response that carried them. */
  budget(): BudgetSnapshot {
    return this.http.budget();
  }

  // ---------------------------------------------------------------- internals

  private async *rawPages(
    entity: EntityKind,
    options: IterateOptions,
    extra: { ids?: string; org_id?: number; done?: boolean } = {},
  ): AsyncGenerator<{ items: unknown[]; cursor: string | undefined; nextCursor: string | null }> {
    const path = entity === 'deal' && options.archived ? '/api/v2/deals/archived' : ENTITY_PATH[entity];
    const common = {
      limit: Math.min(this.pageSize, options.limit ?? this.pageSize),
      ...(options.updatedSince ? { updated_since: options.updatedSince } : {}),
      ...(options.updatedUntil ? { updated_until: options.updatedUntil } : {}),
      ...(options.sortBy ? { sort_by: options.sortBy } : {}),
      ...(options.sortDirection ? { sort_direction: options.sortDirection } : {}),
      ...(extra.ids ? { ids: extra.ids } : {}),
    };
    yield* paginateCursor(
      async (cursor) => {
        const params = { ...common, ...(cursor ? { cursor } : {}) };
        const body = await this.byEntity[entity].list(params, options, extra);
        return this.readList(body, 'GET', path);
      },
      { path, startCursor: options.cursor },
    );
  }

  private readList(body: unknown, method: string, path: string): { items: unknown[]; nextCursor: string | null } {
    const parsed = ListEnvelope.safeParse(body);
    if (!parsed.success) throw this.malformedResponse(method, path, parsed.error);
    return { items: parsed.data.data ?? [], nextCursor: parsed.data.additional_data?.next_cursor ?? null };
  }

  private readItem(body: unknown, method: string, path: string): unknown {
    const parsed = ItemEnvelope.safeParse(body);
    if (!parsed.success) throw this.malformedResponse(method, path, parsed.error);
    return parsed.data.data;
  }

  private malformedResponse(method: string, path: string, error?: z.ZodError): MalformedResponseError {
    const issue = error?.issues[0];
    const detail = issue ? ` (${issue.path.map(String).join('.') || 'body'}: ${issue.message})` : '';
    return new MalformedResponseError(`${method} ${path}: the response is not the JSON envelope Pipedrive documents${detail}`, { method, path });
  }

  private noteMalformed(list: readonly MalformedRecord[]): void {
    for (const m of list) {
      this.malformedCount += 1;
      if (this.malformed.length < MALFORMED_KEEP) this.malformed.push(m);
      this.log.warn({ entity: m.entity, id: m.id, field: m.field, problem: m.message }, 'malformed Pipedrive record skipped');
    }
  }
}

export function createPipedriveClient(options: PipedriveClientOptions): PipedriveClient {
  return new PipedriveClient(options);
}
