/** The webhook subscriptions' state, as doctor and the nightly job read it from one GET /v1/webhooks. */
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../../src/config/load-config.js';
import { createDescriber } from '../../../src/i18n/describe.js';
import { toWebhookSubscription, type WebhookRecord, type WebhookSubscription } from '../../../src/pipedrive/webhook-records.js';
import { classifyWebhooks, countByState, lastDeliveryFailed, subscriptionNotice } from '../../../src/setup/webhook-health.js';
import { webhookName } from '../../../src/setup/webhooks.js';

const COMPANY = 'acme';
const BASE = 'https://cadence.example.com';
const URL = `${BASE}/webhooks/${COMPANY}`;

let nextId = 1;
/** A listing entry as Pipedrive's BaseWebhook shapes it, parsed at the edge as the client does. */
function sub(object: string, over: Partial<WebhookRecord> = {}): WebhookSubscription {
  return toWebhookSubscription({
    id: nextId++,
    event_action: '*',
    event_object: object,
    subscription_url: URL,
    version: '2.0',
    name: webhookName(COMPANY, object),
    is_active: 1,
    http_auth_user: 'u',
    http_auth_password: 'p',
    last_delivery_time: null,
    last_http_status: null,
    remove_reason: null,
    ...over,
  });
}
const states = (list: WebhookSubscription[]) => Object.fromEntries(classifyWebhooks(list, COMPANY, BASE).subscriptions.map((s) => [s.object, s.state]));

describe('classifyWebhooks', () => {
  it('ok: all four deliver here, never delivered yet or last answered 2xx', () => {
    const list = [sub('activity'), sub('deal', { last_http_status: 200, last_delivery_time: '2026-03-12 10:00:00' }), sub('person', { last_http_status: 204, last_delivery_time: '2026-03-12 10:00:00' }), sub('organization')];
    expect(states(list)).toEqual({ activity: 'ok', deal: 'ok', person: 'ok', organization: 'ok' });
    expect(classifyWebhooks(list, COMPANY, `${BASE}/`).receiverUrl).toBe(URL);
  });

  it('failing (what a ban looks like in the listing): an error status, or a delivery without any status (no answer)', () => {
    const list = [
      sub('activity', { last_http_status: 503, last_delivery_time: '2026-03-12 10:00:00' }),
      sub('deal', { last_http_status: null, last_delivery_time: '2026-03-12 10:00:00' }),
      sub('person', { last_http_status: 301, last_delivery_time: '2026-03-12 10:00:00' }),
      sub('organization', { last_http_status: 200, last_delivery_time: '2026-03-12 10:00:00' }),
    ];
    expect(states(list)).toEqual({ activity: 'failing', deal: 'failing', person: 'failing', organization: 'ok' });
    expect(lastDeliveryFailed({ lastHttpStatus: null, lastDeliveryTime: null })).toBe(false);
  });

  it('inactive: listed with is_active 0, or removed by Pipedrive (remove_reason)', () => {
    const list = [sub('activity', { is_active: 0 }), sub('deal', { remove_reason: 'no successful delivery for 3 days', is_active: 0 }), sub('person', { is_active: false }), sub('organization')];
    const health = classifyWebhooks(list, COMPANY, BASE);
    expect(states(list)).toEqual({ activity: 'inactive', deal: 'inactive', person: 'inactive', organization: 'ok' });
    expect(health.subscriptions[1]!.removeReason).toBe('no successful delivery for 3 days');
  });

  it('missing: none of ours for the object (another company’s or a foreign one does not count)', () => {
    const list = [sub('activity'), sub('deal', { name: webhookName('other', 'deal') }), sub('person', { name: 'Zapier' }), sub('organization')];
    expect(states(list)).toEqual({ activity: 'ok', deal: 'missing', person: 'missing', organization: 'ok' });
    expect(classifyWebhooks([], COMPANY, BASE).subscriptions.map((s) => s.state)).toEqual(['missing', 'missing', 'missing', 'missing']);
  });

  it('elsewhere: ours delivers to another URL, or not as v2 for every action', () => {
    const list = [sub('activity', { subscription_url: 'https://old.example.com/webhooks/acme' }), sub('deal', { version: '1.0' }), sub('person', { event_action: 'change' }), sub('organization')];
    const health = classifyWebhooks(list, COMPANY, BASE);
    expect(states(list)).toEqual({ activity: 'elsewhere', deal: 'elsewhere', person: 'elsewhere', organization: 'ok' });
    expect(health.subscriptions[0]!.url).toBe('https://old.example.com/webhooks/acme');
  });

  it('a good one beside a stale one of the same object is what counts (setup replaces new-first)', () => {
    const list = [sub('activity', { subscription_url: 'https://old.example.com/x', is_active: 0 }), sub('activity', { is_active: 0 }), sub('activity'), sub('deal'), sub('person'), sub('organization')];
    const activity = classifyWebhooks(list, COMPANY, BASE).subscriptions[0]!;
    expect(activity).toMatchObject({ object: 'activity', state: 'ok', id: list[2]!.id });
  });

  it('countByState: every state present for the gauge; an unread listing counts all four as unknown', () => {
    const list = [sub('activity', { last_http_status: 500, last_delivery_time: 'x' }), sub('deal'), sub('person', { is_active: 0 })];
    expect(countByState(classifyWebhooks(list, COMPANY, BASE))).toEqual({ ok: 1, failing: 1, inactive: 1, missing: 1, elsewhere: 0, unknown: 0 });
    expect(countByState(null)).toEqual({ ok: 0, failing: 0, inactive: 0, missing: 0, elsewhere: 0, unknown: 4 });
  });
});

describe('subscriptionNotice: what the night says, in both languages', () => {
  const policy = loadPolicyFile('config/policy.yaml');
  const list = [
    sub('activity', { last_http_status: 502, last_delivery_time: '2026-03-12 10:00:00' }),
    sub('deal', { last_http_status: null, last_delivery_time: '2026-03-12 10:00:00' }),
    sub('person', { subscription_url: 'https://old.example.com/webhooks/acme' }),
  ];
  const health = classifyWebhooks(list, COMPANY, BASE);
  const notices = health.subscriptions.map((s) => subscriptionNotice(s, health.receiverUrl, BASE));

  it('one notice per subscription that does not deliver here, none for an ok one', () => {
    expect(notices.map((n) => n?.code)).toEqual(['webhook_failing', 'webhook_unanswered', 'webhook_elsewhere', 'webhook_missing']);
    expect(subscriptionNotice(classifyWebhooks([sub('activity')], COMPANY, BASE).subscriptions[0]!, URL, BASE)).toBeNull();
    expect(subscriptionNotice({ ...health.subscriptions[0]!, state: 'inactive' }, URL, BASE)).toEqual({ code: 'webhook_inactive', params: { object: 'activity', base: BASE } });
  });

  it('worded in en and pt-BR from the policy texts, with the status, the URLs and the command that fixes it', () => {
    const en = createDescriber({ ...policy, locale: 'en' });
    const pt = createDescriber({ ...policy, locale: 'pt-BR' });
    const [failing, unanswered, elsewhere, missing] = notices.map((n) => n!);
    expect(en.notice(failing!)).toContain('HTTP 502');
    expect(en.notice(failing!)).toContain('the nightly job still does everything');
    expect(pt.notice(failing!)).toContain('HTTP 502');
    expect(pt.notice(failing!)).toContain('a execução noturna continua fazendo tudo');
    expect(en.notice(unanswered!)).toContain('no answer');
    expect(pt.notice(unanswered!)).toContain('não teve resposta');
    expect(en.notice(elsewhere!)).toContain('https://old.example.com/webhooks/acme');
    expect(en.notice(elsewhere!)).toContain(URL);
    for (const text of [en.notice(missing!), pt.notice(missing!)]) {
      expect(text).toContain(`cadence setup --webhooks ${BASE}`);
      expect(text).not.toMatch(/\{[a-z]+\}/);
    }
  });
});
