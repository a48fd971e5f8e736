import { describe, expect, it } from 'vitest';
import { createZoneCalendar, formatEpochDay, parseIsoDate } from '../../../src/rules/calendar.js';
import { categoriesOfMask, compileCategories, createDateCache, touchpointDay } from '../../../src/rules/touchpoints.js';
import { assessCompany } from '../../../src/rules/assess-company.js';
import { F, TIER_OPT, activity, clock, deal, org, person, policy, snapshot, touch } from './fixtures.js';

describe('categories (policy.categories, docs/policy.md §10.3): an activity counts for the first category it matches', () => {
  const classifier = compileCategories(policy().categories, policy().cadenceRules);
  it.each([
    // order: executive, strategic (the FUP), operational (linked to an open deal), maintenance (any other contact)
    ['meeting', 'QBR Q1 2026', false, ['executive']],
    ['meeting', 'QBR Q1 2026', true, ['executive']],
    ['meeting', 'Revisão de negócios trimestral', false, ['executive']],
    ['lunch', 'Planejamento estratégico 2027', false, ['executive']],
    ['meeting', 'FUP mensal', true, ['strategic']],
    ['call', 'Follow-up de março', false, ['strategic']],
    ['call', 'Reunião de acompanhamento', true, ['strategic']],
    ['fup', 'Conversa com a diretoria', false, ['strategic']], // the FUP activity type, whatever its subject
    ['call', 'Check-in', true, ['operational']],
    ['meeting', 'Status meeting', true, ['operational']],
    ['email', 'QBR deck', true, ['operational']], // e-mail is not an executive activity type
    ['call', 'Check-in', false, ['maintenance']],
    ['meeting', 'Status meeting', false, ['maintenance']],
    ['email', 'Feliz Natal', false, ['maintenance']],
    ['lunch', 'Almoço', true, ['maintenance']], // a lunch is no operational type
    ['task', 'Send proposal', true, []],
    ['deadline', 'QBR', false, []],
    ['MEETING', 'qbr', false, ['executive']], // type keys and subjects compare case-insensitively
  ])('%s "%s" (open deal: %s) → %j', (type, subject, openDeal, expected) => {
    expect(categoriesOfMask(classifier.classify(type, subject, { openDeal }))).toEqual(expected);
  });

  it("the worker's own follow-up counts for the category of the rule its key names, before any other match", () => {
    expect(categoriesOfMask(classifier.classify('meeting', 'Acme', { openDeal: true, cadenceKey: 'fu:1:strategic:2026-03-01' }))).toEqual(['strategic']);
    expect(categoriesOfMask(classifier.classify('call', 'Acme', { openDeal: true, cadenceKey: 'fu:1:maintenance:never' }))).toEqual(['maintenance']);
    expect(categoriesOfMask(classifier.classify('meeting', 'Acme', { cadenceKey: 'fu:1:qbr:never' }))).toEqual(['executive']);
    // a key that carries several rules counts for each of their categories
    expect(categoriesOfMask(classifier.classify('meeting', 'Acme', { cadenceKey: 'fu:1:strategic.maintenance:never' }))).toEqual(['strategic', 'maintenance']);
    // any other key (renewal, escalation) or an unknown rule: classified like anyone's activity
    expect(categoriesOfMask(classifier.classify('call', 'Acme', { openDeal: true, cadenceKey: 'esc:fu:1:strategic:never' }))).toEqual(['operational']);
    expect(categoriesOfMask(classifier.classify('call', 'Acme', { cadenceKey: 'fu:1:gone:never' }))).toEqual(['maintenance']);
  });

  it('categories.order decides which match wins', () => {
    const p = policy((pp) => void (pp.categories.order = ['operational', 'maintenance', 'strategic', 'executive']));
    const c = compileCategories(p.categories);
    expect(categoriesOfMask(c.classify('meeting', 'QBR', { openDeal: true }))).toEqual(['operational']);
    expect(categoriesOfMask(c.classify('meeting', 'FUP', { openDeal: false }))).toEqual(['maintenance']);
  });

  it('categories.overlap: true counts an activity for every category it matches (the first version)', () => {
    const p = policy((pp) => void (pp.categories.overlap = true));
    const c = compileCategories(p.categories);
    expect(categoriesOfMask(c.classify('meeting', 'QBR FUP', { openDeal: true }))).toEqual(['operational', 'strategic', 'executive', 'maintenance']);
    expect(categoriesOfMask(c.classify('call', 'Check-in', { openDeal: true }))).toEqual(['operational', 'maintenance']);
    expect(categoriesOfMask(c.classify('email', 'Feliz Natal', { openDeal: false }))).toEqual(['maintenance']);
  });

  it('a custom activity type can define a category on its own', () => {
    const p = policy((pp) => {
      pp.categories.executive.match.push({ activityTypes: ['executive_dinner'] });
    });
    expect(categoriesOfMask(compileCategories(p.categories).classify('executive_dinner', 'Jantar'))).toEqual(['executive']);
  });
});

describe('one touchpoint, one category (docs/policy.md §10.3) through the whole rules pass', () => {
  const TODAY = '2026-03-10';
  const tier3 = org({ id: 1, customFields: { [F.tier]: TIER_OPT['Tier 3'] } });
  const rule = (acts: ReturnType<typeof activity>[], id: string, p = policy()) =>
    assessCompany(p, snapshot({ orgs: [tier3], deals: [deal({ id: 100, orgId: 1 })], activities: acts }), clock(TODAY)).organizations[0]!.cadence.find((c) => c.ruleId === id)!;

  it('a call linked to an open deal is operational: it does not satisfy the strategic (nor the maintenance) rule', () => {
    const call = touch(1, 1, '2026-03-09', { type: 'call', subject: 'Ligação sobre o projeto', dealId: 100 });
    expect(rule([call], 'operational').lastTouchpoint).toEqual({ activityId: 1, date: '2026-03-09' });
    expect(rule([call], 'strategic').lastTouchpoint).toBeNull();
    expect(rule([call], 'maintenance').lastTouchpoint).toBeNull();
  });

  it('with categories.overlap: true the same call satisfies operational and maintenance again (not strategic: no FUP subject)', () => {
    const p = policy((pp) => void (pp.categories.overlap = true));
    const call = touch(1, 1, '2026-03-09', { type: 'call', subject: 'Ligação sobre o projeto', dealId: 100 });
    expect(rule([call], 'operational', p).lastTouchpoint?.activityId).toBe(1);
    expect(rule([call], 'maintenance', p).lastTouchpoint?.activityId).toBe(1);
    expect(rule([call], 'strategic', p).lastTouchpoint).toBeNull();
  });

  it('a FUP-type activity, or a FUP subject, satisfies the strategic rule even when linked to the open deal', () => {
    expect(rule([touch(1, 1, '2026-03-09', { type: 'fup', subject: 'Conversa mensal', dealId: 100 })], 'strategic').status).toBe('on_track');
    expect(rule([touch(1, 1, '2026-03-09', { type: 'call', subject: 'FUP de março', dealId: 100 })], 'strategic').status).toBe('on_track');
    expect(rule([touch(1, 1, '2026-03-09', { type: 'call', subject: 'FUP de março', dealId: 100 })], 'operational').lastTouchpoint).toBeNull();
  });

  it("a done follow-up of the worker counts for the rule it was created for, whatever its subject and deal link", () => {
    const ours = touch(1, 1, '2026-03-09', { type: 'meeting', subject: 'Acme', dealId: 100, cadenceKey: 'fu:1:annual-planning:never' });
    expect(rule([ours], 'annual-planning').lastTouchpoint).toEqual({ activityId: 1, date: '2026-03-09' });
    expect(rule([ours], 'operational').lastTouchpoint).toBeNull();
  });
});

describe('which date a done activity counts on', () => {
  const sp = createZoneCalendar('America/Sao_Paulo');
  const utc = createZoneCalendar('UTC');
  const today = parseIsoDate('2026-03-10')!;
  const parse = createDateCache();
  it.each([
    ['all-day: the due date, whatever the zone', { dueDate: '2026-03-02', dueTime: null, markedAsDoneTime: '2026-03-02T12:00:00Z' }, '2026-03-02', '2026-03-02'],
    ['due time is UTC: 01:30 UTC Monday is Sunday in São Paulo', { dueDate: '2026-03-02', dueTime: '01:30:00' }, '2026-03-01', '2026-03-02'],
    ['due time HH:MM (v1 form) works too', { dueDate: '2026-03-02', dueTime: '02:59' }, '2026-03-01', '2026-03-02'],
    ['logged as done days later: the due date counts', { dueDate: '2026-03-02', markedAsDoneTime: '2026-03-06T20:00:00Z' }, '2026-03-02', '2026-03-02'],
    ['no due date: the marked-as-done time, in the firm zone', { dueDate: null, markedAsDoneTime: '2026-03-05T02:00:00Z' }, '2026-03-04', '2026-03-05'],
    ['done early (due next week): counts when marked done', { dueDate: '2026-03-16', markedAsDoneTime: '2026-03-09T14:00:00Z' }, '2026-03-09', '2026-03-09'],
    ['never in the future: a future due date with a future done mark counts today', { dueDate: '2026-03-20', markedAsDoneTime: '2026-03-19T14:00:00Z' }, '2026-03-10', '2026-03-10'],
    ['no due date, no done mark: the update time', { dueDate: null, markedAsDoneTime: null, updateTime: '2026-02-01T10:00:00Z' }, '2026-02-01', '2026-02-01'],
  ])('%s', (_name, over, inSaoPaulo, inUtc) => {
    const a = activity({ id: 1, ...over });
    expect(formatEpochDay(touchpointDay(a, sp, today, parse))).toBe(inSaoPaulo);
    expect(formatEpochDay(touchpointDay(a, utc, today, parse))).toBe(inUtc);
  });
});

describe('linking activities to a client', () => {
  const today = '2026-03-10';
  const base = {
    orgs: [org({ id: 1 }), org({ id: 2 })],
    persons: [person({ id: 10, orgId: 1 }), person({ id: 11, orgId: 1 }), person({ id: 20, orgId: 2 })],
    deals: [deal({ id: 100, orgId: 1 })],
  };
  const lastOf = (acts: ReturnType<typeof activity>[], orgId = 1) =>
    assessCompany(policy(), snapshot({ ...base, activities: acts }), clock(today)).organizations.find((o) => o.orgId === orgId)!.lastTouchpointDate;

  it.each([
    ['directly (org_id)', { orgId: 1 }],
    ['through a deal', { dealId: 100 }],
    ['through the primary person', { personId: 10, participantPersonIds: [10] }],
    ['through another participant', { personId: null, participantPersonIds: [11] }],
  ])('%s', (_name, link) => {
    expect(lastOf([activity({ id: 1, dueDate: '2026-03-05', ...link })])).toBe('2026-03-05');
  });

  it('an activity linked to two clients counts for both', () => {
    const a = activity({ id: 1, dueDate: '2026-03-05', orgId: 2, participantPersonIds: [10] });
    expect(lastOf([a], 1)).toBe('2026-03-05');
    expect(lastOf([a], 2)).toBe('2026-03-05');
  });

  it.each([
    ['deleted', { isDeleted: true }],
    ['not done', { done: false }],
    ['not in any category (task)', { type: 'task' }],
  ])('a %s activity is no touchpoint', (_name, over) => {
    expect(lastOf([touch(1, 1, '2026-03-05', over)])).toBeNull();
  });
});

describe('touchpoint order does not depend on the mirror’s order', () => {
  const run = (acts: ReturnType<typeof activity>[]) =>
    assessCompany(policy(), snapshot({ orgs: [org({ id: 1 })], activities: acts }), clock('2026-03-10')).organizations[0]!.cadence.find((c) => c.ruleId === 'maintenance')!;

  it('on the same day the highest activity id is the last touchpoint', () => {
    const a = touch(5, 1, '2026-03-05');
    const b = touch(3, 1, '2026-03-05');
    expect(run([a, b]).lastTouchpoint).toEqual({ activityId: 5, date: '2026-03-05' });
    expect(run([b, a]).lastTouchpoint).toEqual({ activityId: 5, date: '2026-03-05' });
  });

  it('activities listed newest first still give the right last touchpoint and gaps', () => {
    const acts = [touch(1, 1, '2026-03-01'), touch(2, 1, '2026-02-01'), touch(3, 1, '2026-01-01')];
    const r = run(acts.reverse());
    expect(r.lastTouchpoint?.activityId).toBe(1);
    expect(r.regularity).toEqual({ intervals: 2, meanGapDays: 29.5, stdDevGapDays: 1.5 });
  });

  it('an absurd done date (year −10000) does not break the ordering', () => {
    const outlier = activity({ id: 9, orgId: 1, dueDate: null, markedAsDoneTime: '-010000-01-01T00:00:00Z' });
    const r = run([touch(1, 1, '2026-03-01'), outlier, touch(2, 1, '2026-02-01')]);
    expect(r.lastTouchpoint?.activityId).toBe(1);
    expect(r.regularity?.intervals).toBe(2);
  });
});
