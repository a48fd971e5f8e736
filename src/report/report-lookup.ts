/**
 * Names, links and labels the report looks up while it builds its rows: from the mirror snapshot, the rules'
 * result and the policy. Shared by the report's sections (build-json-report.ts, described-rows.ts).
 */
import type { Policy } from '../config/policy-schema.js';
import type { EntityKind, MirrorSnapshot } from '../domain/entities.js';
import type { OrgAssessment, RulesResult } from '../rules/types.js';
import { appOrigin } from './record-url.js';

export const ENTITY_ORDER: Record<EntityKind, number> = { organization: 0, person: 1, deal: 2, activity: 3 };

/** Compares nullable strings with nulls last, by the locale's collation. */
export function byName(collator: Intl.Collator, a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return collator.compare(a, b);
}

/** Names, links and labels the report looks up, from the snapshot, the rules' result and the policy. */
export interface Lookup {
  locale: Policy['locale'];
  collator: Intl.Collator;
  origin: string;
  orgUrl: (id: number) => string;
  userName: (id: number | null) => string | null;
  orgName: (id: number | null) => string | null;
  /** The rules' assessment of a client, by id. */
  assessment: (id: number) => OrgAssessment | undefined;
  orgRef: (id: number) => { orgId: number; orgName: string; url: string; tier: number };
  entityName: (entity: EntityKind, id: number) => string | null;
  ruleLabel: (ruleId: string) => string;
  policy: Policy;
  /** Activity types' names as the account spells them, by key. */
  typeNames: ReadonlyMap<string, string>;
}

export function createLookup(input: { result: RulesResult; snapshot: MirrorSnapshot; policy: Policy; companyDomain: string }): Lookup {
  const { result, snapshot, policy } = input;
  const locale = policy.locale;
  const collator = new Intl.Collator(locale, { sensitivity: 'base', numeric: true });
  const origin = appOrigin(input.companyDomain);
  const orgUrl = (id: number): string => `${origin}/organization/${id}`;
  const orgs = new Map<number, OrgAssessment>(result.organizations.map((o) => [o.orgId, o]));
  const userName = (id: number | null): string | null => (id === null ? null : (snapshot.users.get(id)?.name ?? null));
  const orgName = (id: number | null): string | null =>
    id === null ? null : (orgs.get(id)?.name ?? snapshot.organizations.get(id)?.name ?? null);
  const orgRef = (id: number) => ({ orgId: id, orgName: orgName(id) ?? `#${id}`, url: orgUrl(id), tier: orgs.get(id)?.tier.level ?? 0 });
  const entityName = (entity: EntityKind, id: number): string | null => {
    switch (entity) {
      case 'organization':
        return orgName(id);
      case 'person':
        return snapshot.persons.get(id)?.name ?? null;
      case 'deal':
        return snapshot.deals.get(id)?.title ?? null;
      case 'activity':
        return snapshot.activities.get(id)?.subject ?? null;
    }
  };
  const ruleLabel = (ruleId: string): string => policy.cadenceRules[ruleId]?.label[locale] ?? ruleId;
  const typeNames = new Map(snapshot.activityTypes.map((t) => [t.keyString, t.name]));
  return { locale, collator, origin, orgUrl, userName, orgName, assessment: (id) => orgs.get(id), orgRef, entityName, ruleLabel, policy, typeNames };
}

