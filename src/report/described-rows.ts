/**
 * The report's per-record lists as lazy `Rows` (rows.ts): the clients with their tier, findings, risks and
 * health parts in words, every finding with names and links, and every risk. Each list keeps a sorted index
 * into the rules' result and describes a record (the policy's sentence, names, urls) when the record is read,
 * so writing the report holds one described record at a time instead of ~1.3 GiB of them at 50k clients.
 *
 * The sentences are built again on each read (the JSON and the HTML both read the first rows): cheaper than
 * keeping 200,000 of them, and the describer is a template fill.
 */
import type { Describer } from '../i18n/describe.js';
import type { Finding, HealthPart, OrgAssessment, Risk, RulesResult } from '../rules/types.js';
import { recordUrl } from './record-url.js';
import { byName, ENTITY_ORDER, type Lookup } from './report-lookup.js';
import type { ReportFinding, ReportV1, RiskEntry } from './report-schema.js';
import type { ReportOrganization } from './report-view.js';
import { copyWith, indexes, LazyRows, type Rows } from './rows.js';

/** A client with its tier, findings, risks and health parts in words. Health parts are shared between clients
 *  by the rules, so their sentences are remembered (a few hundred strings). */
export function organizationRows(lk: Lookup, result: RulesResult, describer: Describer): Rows<ReportOrganization> {
  const { collator } = lk;
  const partMessages = new Map<HealthPart, string>();
  const partMessage = (p: HealthPart): string => {
    let message = partMessages.get(p);
    if (message === undefined) partMessages.set(p, (message = describer.healthPart(p)));
    return message;
  };
  const orgs = result.organizations;
  const order = indexes(orgs.length).sort((a, b) => collator.compare(orgs[a]!.name, orgs[b]!.name) || orgs[a]!.orgId - orgs[b]!.orgId);
  const describe = (o: OrgAssessment): ReportOrganization =>
    copyWith(o, {
      tier: copyWith(o.tier, { message: describer.tier(o.tier) }),
      findings: o.findings.map((f) => copyWith(f, { message: describer.finding(f) })),
      risks: o.risks.map((r) => copyWith(r, { message: describer.risk(r) })),
      health: copyWith(o.health, { parts: o.health.parts.map((p) => copyWith(p, { message: partMessage(p) })) }),
      url: lk.orgUrl(o.orgId),
      ownerName: lk.userName(o.ownerId),
    });
  return new LazyRows(order.length, (i) => describe(orgs[order[i]!]!));
}

type FindingCounts = Pick<ReportV1['dataQuality'], 'byOwner' | 'byField' | 'byProblem'>;

/**
 * Every finding (the clients' in their order, then the orphan records'), sorted by owner, client, record and
 * field, and their counts per owner, field and problem (groups first met in that order, as the ties fall).
 */
export function findingRows(lk: Lookup, result: RulesResult, describer: Describer): { findings: Rows<ReportFinding> } & FindingCounts {
  const { collator, origin } = lk;
  const all: Finding[] = [];
  for (const o of result.organizations) for (const f of o.findings) all.push(f);
  for (const f of result.otherFindings) all.push(f);
  // Names looked up once per finding for the sort (shared strings: an array of references).
  const ownerNames = all.map((f) => lk.userName(f.ownerId));
  const orgNames = all.map((f) => lk.orgName(f.orgId));
  const order = indexes(all.length).sort((i, j) => {
    const a = all[i]!;
    const b = all[j]!;
    return (
      byName(collator, ownerNames[i]!, ownerNames[j]!) ||
      (a.ownerId ?? Infinity) - (b.ownerId ?? Infinity) ||
      byName(collator, orgNames[i]!, orgNames[j]!) ||
      (a.orgId ?? Infinity) - (b.orgId ?? Infinity) ||
      ENTITY_ORDER[a.entity] - ENTITY_ORDER[b.entity] ||
      a.entityId - b.entityId ||
      collator.compare(a.field, b.field) ||
      a.problem.localeCompare(b.problem)
    );
  });
  const counts = findingCounts(lk, order.map((i) => all[i]!), (k) => ownerNames[order[k]!]!);
  const row = (i: number): ReportFinding => {
    const f = all[order[i]!]!;
    return copyWith(f, {
      message: describer.finding(f),
      entityName: lk.entityName(f.entity, f.entityId),
      orgName: lk.orgName(f.orgId),
      ownerName: lk.userName(f.ownerId),
      url: recordUrl(origin, f.entity, f.entityId),
    });
  };
  return { findings: new LazyRows(all.length, row), ...counts };
}

/** Findings per owner, field and problem, the largest first; `sorted` in the report's order. */
function findingCounts(lk: Lookup, sorted: readonly Finding[], ownerName: (k: number) => string | null): FindingCounts {
  const { collator } = lk;
  const owners = new Map<string, { ownerId: number | null; ownerName: string | null; count: number }>();
  const fields = new Map<string, { entity: Finding['entity']; field: string; count: number }>();
  const problems = new Map<string, { problem: Finding['problem']; count: number }>();
  sorted.forEach((f, k) => {
    const owner = owners.get(String(f.ownerId));
    if (owner) owner.count += 1;
    else owners.set(String(f.ownerId), { ownerId: f.ownerId, ownerName: ownerName(k), count: 1 });
    const fieldKey = `${f.entity}\u0000${f.field}`;
    const field = fields.get(fieldKey);
    if (field) field.count += 1;
    else fields.set(fieldKey, { entity: f.entity, field: f.field, count: 1 });
    const problem = problems.get(f.problem);
    if (problem) problem.count += 1;
    else problems.set(f.problem, { problem: f.problem, count: 1 });
  });
  return {
    byOwner: [...owners.values()].sort((a, b) => b.count - a.count || byName(collator, a.ownerName, b.ownerName)),
    byField: [...fields.values()].sort(
      (a, b) => b.count - a.count || ENTITY_ORDER[a.entity] - ENTITY_ORDER[b.entity] || collator.compare(a.field, b.field),
    ),
    byProblem: [...problems.values()].sort((a, b) => b.count - a.count || a.problem.localeCompare(b.problem)),
  };
}

/** Every risk with its client, the highest tier first, then by client name and kind. */
export function riskRows(lk: Lookup, result: RulesResult, describer: Describer): Rows<RiskEntry> {
  const { collator, orgRef } = lk;
  const risks: Risk[] = [];
  const owners: OrgAssessment[] = [];
  for (const o of result.organizations) {
    for (const r of o.risks) {
      risks.push(r);
      owners.push(o);
    }
  }
  // The sort keys as orgRef gives them, without keeping a reference object per risk.
  const tiers = owners.map((o) => orgRef(o.orgId).tier);
  const names = owners.map((o) => orgRef(o.orgId).orgName);
  const order = indexes(risks.length).sort(
    (a, b) => tiers[b]! - tiers[a]! || collator.compare(names[a]!, names[b]!) || risks[a]!.kind.localeCompare(risks[b]!.kind),
  );
  return new LazyRows(order.length, (i) => {
    const k = order[i]!;
    const r = risks[k]!;
    return Object.assign(orgRef(owners[k]!.orgId), r, { message: describer.risk(r) });
  });
}
