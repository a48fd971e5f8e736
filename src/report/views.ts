/**
 * Per-executive and portfolio views (docs/policy.md §10.5) from the rules' result and the plan. Pure.
 */
import type { Policy } from '../config/policy-schema.js';
import type { Plan } from '../plan/types.js';
import type { OrgAssessment } from '../rules/types.js';
import type { ExecutiveView, PortfolioView } from './views-schema.js';

const pct = (part: number, whole: number): number | null => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);
const growth = (now: number, before: number): number | null => (before > 0 ? Math.round(((now - before) / before) * 1000) / 10 : null);
const money = (n: number) => Math.round(n * 100) / 100;

export interface ViewsInput {
  organizations: readonly OrgAssessment[];
  plan: Plan | null;
  policy: Policy;
  tierLevels: readonly number[];
  userName(id: number | null): string | null;
  userActive(id: number | null): boolean;
  orgUrl(id: number): string;
  collator: Intl.Collator;
}

export function buildExecutiveViews(input: ViewsInput): ExecutiveView[] {
  const { organizations, plan, tierLevels } = input;
  const escalationsByOrg = new Map<number, number>();
  for (const w of plan?.writes ?? []) {
    if (w.kind === 'create_activity' && w.purpose === 'escalation') escalationsByOrg.set(w.orgId, (escalationsByOrg.get(w.orgId) ?? 0) + 1);
  }
  const byOwner = new Map<string, OrgAssessment[]>();
  for (const o of organizations) {
    const k = String(o.ownerId);
    const list = byOwner.get(k);
    if (list) list.push(o);
    else byOwner.set(k, [o]);
  }
  const views: ExecutiveView[] = [];
  for (const orgs of byOwner.values()) {
    const ownerId = orgs[0]!.ownerId;
    const withCadence = orgs.filter((o) => o.overallStatus !== 'not_applicable');
    const onCadence = withCadence.filter((o) => o.overallStatus === 'on_track' || o.overallStatus === 'due_soon').length;
    const revenue = orgs.reduce((n, o) => n + o.tier.revenue12m, 0);
    const before = orgs.reduce((n, o) => n + (o.tier.revenuePrevious12m ?? 0), 0);
    views.push({
      ownerId,
      ownerName: input.userName(ownerId),
      active: input.userActive(ownerId),
      clients: orgs.length,
      byTier: tierLevels.map((tier) => ({ tier, clients: orgs.filter((o) => o.tier.level === tier).length })),
      withCadence: withCadence.length,
      onCadence,
      onCadencePercent: pct(onCadence, withCadence.length),
      overdue: orgs.filter((o) => o.overallStatus === 'overdue' || o.overallStatus === 'never').length,
      escalations: orgs.reduce((n, o) => n + (escalationsByOrg.get(o.orgId) ?? 0), 0),
      missedActivities: orgs.reduce((n, o) => n + (o.missedActivities ?? 0), 0),
      renewalsDue: orgs.filter((o) => o.risks.some((r) => r.kind === 'renewal_due')).length,
      stalledDeals: orgs.reduce((n, o) => n + (o.stalledDeals?.length ?? 0), 0),
      revenue12m: money(revenue),
      revenuePrevious12m: money(before),
      growthPercent: growth(revenue, before),
    });
  }
  // The largest books first; no owner last.
  return views.sort(
    (a, b) => Number(a.ownerId === null) - Number(b.ownerId === null) || b.revenue12m - a.revenue12m || input.collator.compare(a.ownerName ?? '', b.ownerName ?? ''),
  );
}

export function buildPortfolio(input: ViewsInput): PortfolioView {
  const { organizations, policy, tierLevels } = input;
  const total = organizations.reduce((n, o) => n + o.tier.revenue12m, 0);
  const before = organizations.reduce((n, o) => n + (o.tier.revenuePrevious12m ?? 0), 0);
  const minTier = policy.views.strategicMinTier;
  const strategic = organizations.filter((o) => o.tier.level >= minTier);
  const strategicRevenue = strategic.reduce((n, o) => n + o.tier.revenue12m, 0);
  const ranked = organizations
    .filter((o) => o.tier.revenue12m > 0)
    .sort((a, b) => b.tier.revenue12m - a.tier.revenue12m || a.orgId - b.orgId)
    .slice(0, policy.views.topClients);
  const topRevenue = ranked.reduce((n, o) => n + o.tier.revenue12m, 0);
  return {
    clients: organizations.length,
    revenue12m: money(total),
    revenuePrevious12m: money(before),
    growthPercent: growth(total, before),
    strategic: { minTier, clients: strategic.length, revenue12m: money(strategicRevenue), percent: pct(strategicRevenue, total) },
    top: {
      size: policy.views.topClients,
      revenue12m: money(topRevenue),
      percent: pct(topRevenue, total),
      clients: ranked.map((o) => ({ orgId: o.orgId, orgName: o.name, url: input.orgUrl(o.orgId), tier: o.tier.level, revenue12m: o.tier.revenue12m, percent: pct(o.tier.revenue12m, total) })),
    },
    byTier: tierLevels.map((tier) => {
      const inTier = organizations.filter((o) => o.tier.level === tier);
      const revenue = inTier.reduce((n, o) => n + o.tier.revenue12m, 0);
      const prev = inTier.reduce((n, o) => n + (o.tier.revenuePrevious12m ?? 0), 0);
      const tenure = inTier.reduce((n, o) => n + o.tier.tenureYears, 0);
      return {
        tier,
        clients: inTier.length,
        revenue12m: money(revenue),
        revenuePrevious12m: money(prev),
        growthPercent: growth(revenue, prev),
        sharePercent: pct(revenue, total),
        averageTenureYears: inTier.length === 0 ? null : Math.round((tenure / inTier.length) * 10) / 10,
      };
    }),
  };
}
