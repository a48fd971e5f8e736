/**
 * One pass over the mirror that groups everything by client, so the per-organization rules never scan
 * the whole mirror (50k organizations × 1M activities would be quadratic).
 *
 * An activity belongs to every organization it is linked to: directly (`org_id`), through its deal, or
 * through its primary person or any participant. Deleted activities are dropped here and never count.
 */
import type { Activity, Deal, MirrorSnapshot, Organization, Person } from '../domain/entities.js';
import type { EpochDay, ZoneCalendar } from './calendar.js';
import type { CategoryClassifier } from './touchpoints.js';
import { activityPersonIds, createDateCache, dueDay, touchpointDay } from './touchpoints.js';

export interface ActivityEntry {
  activity: Activity;
  /** Done: the firm-calendar day the touchpoint counts on. Open: the due day, or null without a due date. */
  day: EpochDay | null;
  /** Category mask (see CATEGORY_BIT); never 0 in an index. */
  mask: number;
  personIds: readonly number[];
}

export interface OrgMirror {
  org: Organization;
  /** Persons of the organization that are not deleted, by id. */
  persons: Person[];
  /** Deals of the organization that are not deleted. */
  deals: Deal[];
  /** Done touchpoints, oldest first (ties by activity id). */
  touchpoints: ActivityEntry[];
  /** Open (not done) activities that match some category. */
  open: ActivityEntry[];
}

export interface MirrorIndex {
  /** Organizations that are not deleted, by ascending id. */
  orgs: OrgMirror[];
  /** Persons without an (existing, not deleted) organization. */
  orphanPersons: Person[];
  /** Deals without an (existing, not deleted) organization. */
  orphanDeals: Deal[];
}

export function indexMirror(snapshot: MirrorSnapshot, classifier: CategoryClassifier, cal: ZoneCalendar, today: EpochDay): MirrorIndex {
  const byOrg = new Map<number, OrgMirror>();
  const ids = [...snapshot.organizations.keys()].sort((a, b) => a - b);
  for (const id of ids) {
    const org = snapshot.organizations.get(id);
    if (org && !org.isDeleted) byOrg.set(id, { org, persons: [], deals: [], touchpoints: [], open: [] });
  }

  const orphanPersons: Person[] = [];
  for (const p of snapshot.persons.values()) {
    if (p.isDeleted) continue;
    const o = p.orgId === null ? undefined : byOrg.get(p.orgId);
    if (o) o.persons.push(p);
    else orphanPersons.push(p);
  }
  const orphanDeals: Deal[] = [];
  for (const d of snapshot.deals.values()) {
    if (d.isDeleted) continue;
    const o = d.orgId === null ? undefined : byOrg.get(d.orgId);
    if (o) o.deals.push(d);
    else orphanDeals.push(d);
  }

  const parseDate = createDateCache();
  const linked: number[] = [];
  const link = (orgId: number | null | undefined) => {
    if (orgId !== null && orgId !== undefined && !linked.includes(orgId)) linked.push(orgId);
  };
  for (const a of snapshot.activities.values()) {
    if (a.isDeleted) continue;
    const mask = classifier.classify(a.type, a.subject);
    if (mask === 0) continue;
    linked.length = 0;
    link(a.orgId);
    if (a.dealId !== null) link(snapshot.deals.get(a.dealId)?.orgId);
    if (a.personId !== null) link(snapshot.persons.get(a.personId)?.orgId);
    for (const pid of a.participantPersonIds) if (pid !== a.personId) link(snapshot.persons.get(pid)?.orgId);
    let entry: ActivityEntry | null = null;
    for (const orgId of linked) {
      const o = byOrg.get(orgId);
      if (!o) continue;
      entry ??= {
        activity: a,
        day: a.done ? touchpointDay(a, cal, today, parseDate) : dueDay(a, cal, parseDate),
        mask,
        personIds: activityPersonIds(a),
      };
      (a.done ? o.touchpoints : o.open).push(entry);
    }
  }

  const byDay = (x: ActivityEntry, y: ActivityEntry) => (x.day ?? 0) - (y.day ?? 0) || x.activity.id - y.activity.id;
  const orgs = [...byOrg.values()];
  for (const o of orgs) {
    if (o.touchpoints.length > 1) o.touchpoints.sort(byDay);
    if (o.persons.length > 1) o.persons.sort((x, y) => x.id - y.id);
  }
  return { orgs, orphanPersons, orphanDeals };
}
