import { describe, expect, it } from 'vitest';
import { DEMO_STORY, DEMO_USERS, generateDataset } from '../../sandbox/generator.js';
import type { Dataset } from '../../sandbox/model.js';
import { DAY_MS } from '../../sandbox/model.js';

const NOW = new Date('2026-11-25T12:00:00Z');

function helpers(d: Dataset, now: Date) {
  const key = (entity: string, name: string) => d.fields.find((f) => f.entity === entity && f.name === name)!;
  const label = (entity: string, name: string, id: unknown) => key(entity, name).options!.find((o) => o.id === id)?.label;
  const org = (role: string) => d.organizations.find((o) => o.id === DEMO_STORY[role]!.orgId)!;
  const doneActs = (orgId: number) => d.activities.filter((a) => a.orgId === orgId && a.done);
  const daysAgo = (ms: number) => (now.getTime() - ms) / DAY_MS;
  return { key, label, org, doneActs, daysAgo };
}

describe('generateDataset', () => {
  it('is deterministic: same seed and now give identical data, another seed differs', () => {
    const a = generateDataset({ seed: 5, now: NOW, scale: 'demo' });
    const b = generateDataset({ seed: 5, now: NOW, scale: 'demo' });
    const c = generateDataset({ seed: 6, now: NOW, scale: 'demo' });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    expect(c.fields.find((f) => f.name === 'Tier')!.key).not.toBe(a.fields.find((f) => f.name === 'Tier')!.key);
    const s1 = generateDataset({ seed: 5, now: NOW, scale: 'small' });
    expect(s1.organizations).toHaveLength(500);
    expect(JSON.stringify(generateDataset({ seed: 5, now: NOW, scale: 'small' }).activities)).toBe(JSON.stringify(s1.activities));
    // update_time is spread to the second (a crowd on one value would make every inclusive updated_since boundary re-read it).
    for (const records of [s1.organizations, s1.persons, s1.deals, s1.activities, a.organizations, a.persons, a.deals, a.activities]) {
      const same = new Map<number, number>();
      for (const r of records) same.set(r.updateTime, (same.get(r.updateTime) ?? 0) + 1);
      expect(Math.max(...same.values())).toBeLessThanOrEqual(3);
    }
  });

  it('defines the custom fields the policy references, and no worker flag fields', () => {
    const d = generateDataset({ seed: 1, now: NOW, scale: 'demo' });
    const custom = d.fields.filter((f) => f.isCustom).map((f) => `${f.entity}:${f.name}:${f.fieldType}:${(f.options ?? []).map((o) => o.label).join('|')}`);
    expect(custom).toEqual([
      'organization:Tier:enum:Tier 1|Tier 2|Tier 3|Tier 4',
      'organization:Segment:enum:Indústria|Varejo|Serviços financeiros|Saúde|Tecnologia|Setor público',
      'organization:Contract end date:date:',
      'person:Stakeholder role:enum:Decision maker|Champion|Influencer|User|Blocker',
      'person:Relationship strength:enum:Strong|Developing|Weak|At risk',
      'deal:Service line:enum:Squad|Consulting|Training|Assessment',
      // docs/policy.md §10.5 (accountCare)
      'organization:NPS:double:',
      'organization:NPS date:date:',
      'organization:Executive sponsor:user:',
      'organization:Account plan reviewed:date:',
    ]);
    expect(d.fields.filter((f) => f.isCustom).every((f) => /^[0-9a-f]{40}$/.test(f.key))).toBe(true);
    expect(d.activityTypes.map((t) => t.keyString)).toEqual(['call', 'meeting', 'task', 'deadline', 'email', 'lunch']);
    const head = d.users.find((u) => u.email === 'head.accounts@exemplo.com.br')!;
    expect(head.isAdmin).toBe(true);
    const inactive = d.users.filter((u) => !u.active);
    expect(inactive).toHaveLength(1);
    expect(d.users.every((u) => u.email.endsWith('@exemplo.com.br'))).toBe(true);
    expect(d.organizations.filter((o) => o.ownerId === inactive[0]!.id).length).toBeGreaterThanOrEqual(2);
  });

  it.each([NOW, new Date('2031-03-02T08:30:00Z')])('tells the demo story relative to now (%s)', (now) => {
    const d = generateDataset({ seed: 9, now, scale: 'demo' });
    const { key, label, org, doneActs, daysAgo } = helpers(d, now);
    expect(d.organizations).toHaveLength(40);
    const tierKey = key('organization', 'Tier').key;
    const toBrl = (v: number, c: string) => v * ({ BRL: 1, USD: 5.3, EUR: 5.8 } as Record<string, number>)[c]!;

    const anchor = org('anchorByRevenue');
    expect(anchor.cf[tierKey]).toBeUndefined();
    const won = d.deals.filter((x) => x.orgId === anchor.id && x.status === 'won');
    expect(won.filter((x) => daysAgo(x.wonTime!) <= 365).reduce((s, x) => s + toBrl(x.value!, x.currency), 0)).toBeGreaterThanOrEqual(1_000_000);
    expect(Math.max(...won.map((x) => daysAgo(x.wonTime!)))).toBeGreaterThanOrEqual(5 * 365);

    const squad = org('keyAccountSquad');
    expect(squad.cf[tierKey]).toBeUndefined();
    const squadDeal = d.deals.find((x) => x.orgId === squad.id && x.status === 'won')!;
    expect(squadDeal.title).toMatch(/\bSquad\b/i);
    expect(label('deal', 'Service line', squadDeal.cf[key('deal', 'Service line').key])).toBe('Squad');

    expect(label('organization', 'Tier', org('explicitTier3Overdue').cf[tierKey])).toBe('Tier 3');
    expect(label('organization', 'Tier', org('explicitTier4').cf[tierKey])).toBe('Tier 4');
    expect(doneActs(org('neverTouched').id)).toHaveLength(0);
    expect(Math.min(...doneActs(org('overdue').id).map((a) => daysAgo(a.markedAsDoneTime!)))).toBeGreaterThan(140);
    expect(org('noOwner').ownerId).toBeNull();
    expect(d.users.find((u) => u.id === org('deactivatedOwner').ownerId)!.active).toBe(false);
    const end = org('renewalDue').cf[key('organization', 'Contract end date').key] as string;
    expect((Date.parse(end) - now.getTime()) / DAY_MS).toBeGreaterThan(0);
    expect((Date.parse(end) - now.getTime()) / DAY_MS).toBeLessThan(180);
    expect(org('missingSegment').cf[key('organization', 'Segment').key]).toBeUndefined();
    expect(org('missingAddress').address).toBeNull();
    const roleKey = key('person', 'Stakeholder role').key;
    expect(d.persons.some((p) => p.orgId === org('personMissingRole').id && p.cf[roleKey] === undefined)).toBe(true);
    expect(d.persons.some((p) => p.orgId === org('personMissingEmail').id && p.emails.length === 0)).toBe(true);
    expect(new Set(d.deals.filter((x) => x.orgId === org('foreignCurrency').id).map((x) => x.currency))).toEqual(new Set(['USD', 'EUR']));

    // Outreach collision: 3 different users with done activities in one ISO week in São Paulo (UTC−3).
    const isoWeek = (ms: number) => {
      const dd = new Date(ms - 3 * 3_600_000);
      const monday = Date.UTC(dd.getUTCFullYear(), dd.getUTCMonth(), dd.getUTCDate()) - ((dd.getUTCDay() + 6) % 7) * DAY_MS;
      return monday;
    };
    const byWeek = new Map<number, Set<number>>();
    for (const a of doneActs(org('outreachCollision').id)) {
      const w = isoWeek(Date.parse(`${a.dueDate}T${a.dueTime ?? '12:00:00'}Z`));
      byWeek.set(w, new Set([...(byWeek.get(w) ?? []), a.ownerId!]));
    }
    expect(Math.max(...[...byWeek.values()].map((s) => s.size))).toBeGreaterThanOrEqual(3);

    const falling = doneActs(org('fallingEngagement').id).map((a) => daysAgo(a.markedAsDoneTime!));
    expect(falling.filter((x) => x > 34 && x <= 49).length).toBeGreaterThanOrEqual(8);
    expect(falling.filter((x) => x < 28).length).toBe(1);

    const kp = doneActs(org('keyPersonDependency').id).filter((a) => daysAgo(a.markedAsDoneTime!) <= 90);
    expect(new Set(kp.flatMap((a) => a.participants)).size).toBe(1);

    const acts = d.activities;
    expect(acts.some((a) => a.dueTime !== null) && acts.some((a) => a.dueTime === null)).toBe(true);
    expect(acts.some((a) => a.done) && acts.some((a) => !a.done)).toBe(true);
    expect(acts.some((a) => /QBR|Revisão de negócios/i.test(a.subject))).toBe(true);
    // Never in the future: record times ≤ now; done activities were done in the past.
    expect(acts.every((a) => a.updateTime <= now.getTime() && (a.markedAsDoneTime ?? 0) <= now.getTime())).toBe(true);
    expect(d.organizations.every((o) => o.updateTime <= now.getTime())).toBe(true);
    expect(DEMO_USERS.head.id).toBe(d.meUserId);
  });
});
