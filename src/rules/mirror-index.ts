/**
 * One pass over the mirror that groups everything by client, so the per-organization rules never scan
 * the whole mirror (50k organizations × 1M activities would be quadratic).
 *
 * An activity belongs to every organization it is linked to: directly (`org_id`), through its deal, or
 * through its primary person or any participant. Deleted activities are dropped here and never count.
 *
 * Layout, for speed at 1M activities: the pass records (activity, client) pairs in flat integer arrays
 * and groups them with a counting sort, and each client's records are materialised only when that
 * client is assessed (`client(slot)`), so the short-lived per-client objects die young instead of
 * 1M long-lived entries being pushed into 50k growing arrays. Ids map to client slots through typed
 * arrays when ids are dense enough (Pipedrive ids are per-company sequences), else through a Map.
 */
import { isArchivedDeal, type Activity, type Deal, type MirrorSnapshot, type Organization, type Person } from '../domain/entities.js';
import type { EpochDay, ZoneCalendar } from './calendar.js';
import { parseInstant } from './calendar.js';
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
  /** Persons of the organization that are not deleted, by ascending id. */
  persons: Person[];
  /** Deals of the organization that are not deleted. */
  deals: Deal[];
  /** Parallel to `deals`: the firm-calendar day a deal was won or lost (see closeDay); null while open. */
  closeDays: (EpochDay | null)[];
  /** Done touchpoints, oldest first (ties by activity id). */
  touchpoints: ActivityEntry[];
  /** Open (not done) activities that match some category. */
  open: ActivityEntry[];
}

export interface MirrorIndex {
  /** Number of clients: organizations that are not deleted. */
  size: number;
  /** The client at `slot` (0 ≤ slot < size, ascending organization id), its records gathered on each call. */
  client(slot: number): OrgMirror;
  /** Persons without an (existing, not deleted) organization. */
  orphanPersons: Person[];
  /** Deals without an (existing, not deleted) organization. */
  orphanDeals: Deal[];
}

/**
 * The firm-calendar day a won deal was won or a lost deal was lost (won_time / lost_time; the update
 * time when Pipedrive left it empty); null for open deals. Computed once per deal per run.
 */
export function closeDay(deal: Deal, cal: ZoneCalendar): EpochDay | null {
  if (deal.status === 'open') return null;
  const ms = parseInstant((deal.status === 'won' ? deal.wonTime : deal.lostTime) ?? deal.updateTime);
  return Number.isFinite(ms) ? cal.dayOfInstant(ms) : null;
}

const NONE = -1;

interface SlotLookup {
  set(id: number, slot: number): void;
  /** The slot stored for an id, or NONE. */
  get(id: number): number;
}

/** id → slot map: a typed array when the ids are dense enough, else a Map. */
function slotLookup(ids: Iterable<number>, count: number): SlotLookup {
  let max = 0;
  for (const id of ids) if (id > max) max = id;
  if (max <= Math.max(4 * count, 1 << 20)) {
    const table = new Int32Array(max + 1).fill(NONE);
    return {
      set: (id, slot) => {
        table[id] = slot;
      },
      get: (id) => (id >= 0 && id <= max ? table[id]! : NONE),
    };
  }
  const map = new Map<number, number>();
  return { set: (id, slot) => map.set(id, slot), get: (id) => map.get(id) ?? NONE };
}

/**
 * Stable counting sort of item positions by client slot, visiting items in `visit` order (default:
 * as stored); returns [order, starts] where starts has size + 1 entries.
 */
function groupBySlot(slots: ArrayLike<number>, size: number, visit?: Int32Array): [Int32Array, Int32Array] {
  const starts = new Int32Array(size + 1);
  for (let i = 0; i < slots.length; i += 1) starts[slots[i]! + 1]! += 1;
  for (let s = 0; s < size; s += 1) starts[s + 1]! += starts[s]!;
  const next = starts.slice(0, size);
  const order = new Int32Array(slots.length);
  for (let j = 0; j < slots.length; j += 1) {
    const i = visit ? visit[j]! : j;
    order[next[slots[i]!]!++] = i;
  }
  return [order, starts];
}

/** Item positions ordered by day (then activity id), so that grouping by client keeps each client's touchpoints in date order. */
function orderByDay(pairActs: readonly number[], days: readonly number[], ids: readonly number[]): Int32Array {
  const n = pairActs.length;
  const order = new Int32Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const d = days[pairActs[i]!]!;
    if (d < min) min = d;
    if (d > max) max = d;
    order[i] = i;
  }
  if (n === 0) return order;
  const range = max - min + 1;
  if (range > 4_000_000) {
    // Absurd date spread (a year-0001 due date, say): a comparison sort is still correct.
    return order.sort((x, y) => days[pairActs[x]!]! - days[pairActs[y]!]! || ids[pairActs[x]!]! - ids[pairActs[y]!]!);
  }
  // Ids first (comparison sort only when the mirror did not yield them ascending), then a stable counting sort by day.
  let ascending = true;
  for (let i = 1; i < n && ascending; i += 1) ascending = ids[pairActs[i]!]! >= ids[pairActs[i - 1]!]!;
  const byId = ascending ? order : order.slice().sort((x, y) => ids[pairActs[x]!]! - ids[pairActs[y]!]!);
  const counts = new Int32Array(range + 1);
  for (let i = 0; i < n; i += 1) counts[days[pairActs[i]!]! - min + 1]! += 1;
  for (let d = 0; d < range; d += 1) counts[d + 1]! += counts[d]!;
  const out = new Int32Array(n);
  for (let j = 0; j < n; j += 1) {
    const i = byId[j]!;
    out[counts[days[pairActs[i]!]! - min]!++] = i;
  }
  return out;
}

export function indexMirror(snapshot: MirrorSnapshot, classifier: CategoryClassifier, cal: ZoneCalendar, today: EpochDay): MirrorIndex {
  const orgs: Organization[] = [];
  for (const o of snapshot.organizations.values()) if (!o.isDeleted) orgs.push(o);
  orgs.sort((a, b) => a.id - b.id);
  const size = orgs.length;
  const orgSlot = slotLookup(
    orgs.map((o) => o.id),
    size,
  );
  orgs.forEach((o, slot) => orgSlot.set(o.id, slot));
  const slotOfOrg = (orgId: number | null) => (orgId === null ? NONE : orgSlot.get(orgId));

  // Persons: every record (deleted ones too) links activities; only live ones belong to a client.
  const persons = linkToClients(snapshot.persons, slotOfOrg, size);
  const deals = linkToClients(snapshot.deals, slotOfOrg, size);
  const acts = indexActivities(snapshot, { classifier, cal, today, slotOfOrg, dealSlot: deals.slots, personSlot: persons.slots, openDealIds: openDeals(snapshot) });
  const [doneOrder, doneStarts] = groupBySlot(acts.doneSlots, size, orderByDay(acts.doneActs, acts.actDays, acts.actIds));
  const [openOrder, openStarts] = groupBySlot(acts.openSlots, size);

  return {
    size,
    client(slot) {
      const clientPersons = persons.ofSlot(slot);
      for (let i = 1; i < clientPersons.length; i += 1) {
        if (clientPersons[i]!.id < clientPersons[i - 1]!.id) {
          clientPersons.sort((x, y) => x.id - y.id);
          break;
        }
      }
      const clientDeals = deals.ofSlot(slot);
      const closeDays = clientDeals.map((d) => closeDay(d, cal));
      // Already oldest first (ties by id): the pairs were ordered by day before grouping.
      const touchpoints = activityEntries(acts, doneOrder, doneStarts, acts.doneActs, slot);
      return { org: orgs[slot]!, persons: clientPersons, deals: clientDeals, closeDays, touchpoints, open: activityEntries(acts, openOrder, openStarts, acts.openActs, slot) };
    },
    orphanPersons: persons.orphans,
    orphanDeals: deals.orphans,
  };
}

/** Deals an activity may be linked to as "an open deal": open and not archived (docs/policy.md §10.3). */
function openDeals(snapshot: MirrorSnapshot): Set<number> {
  const ids = new Set<number>();
  for (const d of snapshot.deals.values()) if (!d.isDeleted && d.status === 'open' && !isArchivedDeal(d)) ids.add(d.id);
  return ids;
}

/** Records linked to clients through `orgId`: every record's slot (deleted ones too), the live ones grouped per client, the orphans. */
function linkToClients<R extends { id: number; orgId: number | null; isDeleted: boolean }>(
  records: ReadonlyMap<number, R>,
  slotOfOrg: (orgId: number | null) => number,
  size: number,
): { slots: SlotLookup; orphans: R[]; ofSlot: (slot: number) => R[] } {
  const slots = slotLookup(records.keys(), records.size);
  const live: R[] = [];
  const liveSlots: number[] = [];
  const orphans: R[] = [];
  for (const r of records.values()) {
    const slot = slotOfOrg(r.orgId);
    if (slot !== NONE) slots.set(r.id, slot);
    if (r.isDeleted) continue;
    if (slot === NONE) orphans.push(r);
    else {
      live.push(r);
      liveSlots.push(slot);
    }
  }
  const [order, starts] = groupBySlot(liveSlots, size);
  const ofSlot = (slot: number): R[] => {
    const out: R[] = [];
    for (let j = starts[slot]!; j < starts[slot + 1]!; j += 1) out.push(live[order[j]!]!);
    return out;
  };
  return { slots, orphans, ofSlot };
}

/** Qualifying activities (a category, a client): their day and category mask, and one pair per (activity, client) link. */
interface ActivityIndex {
  acts: Activity[];
  actIds: number[];
  actDays: number[];
  actMasks: number[];
  doneActs: number[];
  doneSlots: number[];
  openActs: number[];
  openSlots: number[];
}

interface ActivityLinks {
  classifier: CategoryClassifier;
  cal: ZoneCalendar;
  today: EpochDay;
  slotOfOrg: (orgId: number | null) => number;
  dealSlot: SlotLookup;
  personSlot: SlotLookup;
  /** Deals an activity may be linked to as "an open deal" (operational touchpoints, docs/policy.md §10.3). */
  openDealIds: ReadonlySet<number>;
}

// Activities: one record per qualifying activity, one pair per (activity, client) link.
function indexActivities(snapshot: MirrorSnapshot, links: ActivityLinks): ActivityIndex {
  const { classifier, cal, today, slotOfOrg, dealSlot, personSlot, openDealIds } = links;
  const parseDate = createDateCache();
  const x: ActivityIndex = { acts: [], actIds: [], actDays: [], actMasks: [], doneActs: [], doneSlots: [], openActs: [], openSlots: [] };
  const linked: number[] = [];
  const link = (slot: number) => {
    if (slot !== NONE && !linked.includes(slot)) linked.push(slot);
  };
  for (const a of snapshot.activities.values()) {
    if (a.isDeleted) continue;
    const mask = classifier.classify(a.type, a.subject, { openDeal: a.dealId !== null && openDealIds.has(a.dealId), cadenceKey: a.cadenceKey });
    if (mask === 0) continue;
    linked.length = 0;
    link(slotOfOrg(a.orgId));
    if (a.dealId !== null) link(dealSlot.get(a.dealId));
    if (a.personId !== null) link(personSlot.get(a.personId));
    for (const pid of a.participantPersonIds) if (pid !== a.personId) link(personSlot.get(pid));
    if (linked.length === 0) continue;
    const k = x.acts.length;
    x.acts.push(a);
    x.actIds.push(a.id);
    x.actMasks.push(mask);
    // NaN marks an open activity without a (valid) due date.
    x.actDays.push(a.done ? touchpointDay(a, cal, today, parseDate) : (dueDay(a, cal, parseDate) ?? Number.NaN));
    for (const slot of linked) {
      if (a.done) {
        x.doneActs.push(k);
        x.doneSlots.push(slot);
      } else {
        x.openActs.push(k);
        x.openSlots.push(slot);
      }
    }
  }
  return x;
}

/** One client's activity entries from a grouped pair list, in the group's order. */
function activityEntries(x: ActivityIndex, order: Int32Array, starts: Int32Array, pairActs: number[], slot: number): ActivityEntry[] {
  const out: ActivityEntry[] = [];
  for (let j = starts[slot]!; j < starts[slot + 1]!; j += 1) {
    const k = pairActs[order[j]!]!;
    const a = x.acts[k]!;
    const day = x.actDays[k]!;
    out.push({ activity: a, day: Number.isNaN(day) ? null : day, mask: x.actMasks[k]!, personIds: activityPersonIds(a) });
  }
  return out;
}
