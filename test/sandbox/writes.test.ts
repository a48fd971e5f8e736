import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../sandbox/server.js';
import type { Sandbox } from '../../sandbox/server.js';
import { generateDataset } from '../../sandbox/generator.js';
import { api } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
let t = NOW;
let sb: Sandbox;
beforeEach(async () => {
  t = NOW;
  sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: new Date(NOW), scale: 'demo' }), now: () => new Date(t) });
});
afterEach(async () => {
  await sb.close();
});

async function createField(entity: string, field_type: string, options?: string[]): Promise<{ field_code: string; options: Array<{ id: number; label: string }> | null }> {
  const r = await api(sb, 'POST', `/api/v2/${entity}Fields`, { field_name: `F ${field_type}`, field_type, ...(options ? { options: options.map((label) => ({ label })) } : {}) });
  expect(r.status).toBe(200);
  return r.json.data as { field_code: string; options: Array<{ id: number; label: string }> | null };
}

describe('custom fields', () => {
  it('creates fields with a 40-hex field_code, listed by the v2 and v1 Fields APIs', async () => {
    const f = await createField('organization', 'enum', ['Em dia', 'Atrasado']);
    expect(f.field_code).toMatch(/^[0-9a-f]{40}$/);
    expect(f).toMatchObject({ field_name: 'F enum', field_type: 'enum', is_custom_field: true, options: [{ id: expect.any(Number), label: 'Em dia' }, { id: expect.any(Number), label: 'Atrasado' }] });
    const v2 = (await api(sb, 'GET', '/api/v2/organizationFields?limit=500')).json.data as Array<{ field_code: string; field_name: string; is_custom_field: boolean }>;
    expect(v2.find((x) => x.field_code === f.field_code)).toBeDefined();
    expect(v2.filter((x) => !x.is_custom_field).map((x) => x.field_code)).toEqual(expect.arrayContaining(['name', 'owner_id', 'address']));
    expect(v2.find((x) => x.field_code === 'address')!.field_name).toBe('Address');
    const v1 = await api(sb, 'GET', '/v1/organizationFields?start=0&limit=500');
    expect((v1.json.data as Array<{ key: string; edit_flag: boolean }>).find((x) => x.key === f.field_code)!.edit_flag).toBe(true);
    expect(v1.json.additional_data).toEqual({ pagination: { start: 0, limit: 500, more_items_in_collection: false } });
    expect((await api(sb, 'POST', '/api/v2/organizationFields', { field_name: 'X', field_type: 'enum' })).status).toBe(400);
    expect((await api(sb, 'POST', '/api/v2/organizationFields', { field_name: 'X', field_type: 'nonsense' })).status).toBe(400);
  });

  it('serves built-in option fields with string option ids, as the v2 Fields API does', async () => {
    const deal = (await api(sb, 'GET', '/api/v2/dealFields?limit=500')).json.data as Array<{ field_code: string; options: Array<{ id: unknown; label: string }> | null }>;
    expect(deal.find((x) => x.field_code === 'status')!.options).toEqual([
      { id: 'open', label: 'Open' }, { id: 'won', label: 'Won' }, { id: 'lost', label: 'Lost' }, { id: 'deleted', label: 'Deleted' },
    ]);
    for (const entity of ['organization', 'person', 'deal']) {
      const list = (await api(sb, 'GET', `/api/v2/${entity}Fields?limit=500`)).json.data as Array<{ field_code: string; is_custom_field: boolean; options: Array<{ id: unknown }> | null }>;
      expect(list.find((x) => x.field_code === 'visible_to')!.options!.every((o) => typeof o.id === 'string')).toBe(true);
      for (const f of list.filter((x) => x.is_custom_field && x.options)) expect(f.options!.every((o) => Number.isInteger(o.id))).toBe(true);
    }
  });

  it('round-trips every field type through POST, PATCH and GET in the REST v2 shapes', async () => {
    const enumF = await createField('deal', 'enum', ['A', 'B']);
    const setF = await createField('deal', 'set', ['X', 'Y', 'Z']);
    const fields = {
      varchar: await createField('deal', 'varchar'), text: await createField('deal', 'text'), double: await createField('deal', 'double'),
      monetary: await createField('deal', 'monetary'), date: await createField('deal', 'date'), daterange: await createField('deal', 'daterange'),
      time: await createField('deal', 'time'), address: await createField('deal', 'address'), user: await createField('deal', 'user'),
      org: await createField('deal', 'org'), people: await createField('deal', 'people'), phone: await createField('deal', 'phone'),
    };
    const [a, b] = enumF.options!;
    const [x, , z] = setF.options!;
    const values: Record<string, unknown> = {
      [enumF.field_code]: a!.id, [setF.field_code]: [x!.id, z!.id], [fields.varchar.field_code]: 'texto', [fields.text.field_code]: 'longo',
      [fields.double.field_code]: 12.5, [fields.monetary.field_code]: { value: 2300, currency: 'EUR' }, [fields.date.field_code]: '2027-01-31',
      [fields.daterange.field_code]: { value: '2027-01-01', until: '2027-02-01' }, [fields.time.field_code]: { value: '09:30', timezone_name: 'America/Sao_Paulo' },
      [fields.address.field_code]: { value: 'Av. Paulista, 1000' }, [fields.user.field_code]: 2, [fields.org.field_code]: 1, [fields.people.field_code]: 1,
      [fields.phone.field_code]: '+55 11 91234-5678',
    };
    const created = await api(sb, 'POST', '/api/v2/deals', { title: 'Round trip', org_id: 1, custom_fields: values });
    expect(created.status).toBe(200);
    const id = (created.json.data as { id: number }).id;
    const got = (await api(sb, 'GET', `/api/v2/deals/${id}`)).json.data as { custom_fields: Record<string, unknown> };
    expect(got.custom_fields).toMatchObject({
      ...values,
      [fields.time.field_code]: { value: '09:30:00', timezone_id: null, timezone_name: 'America/Sao_Paulo' },
      [fields.address.field_code]: { value: 'Av. Paulista, 1000', route: null, locality: null, country: null, formatted_address: 'Av. Paulista, 1000' },
    });
    // Every custom field of the entity is present; the preexisting Service line is unset → null.
    expect(got.custom_fields[sb.state.fieldByName('deal', 'Service line')!.key]).toBeNull();

    t += 1000;
    const patched = await api(sb, 'PATCH', `/api/v2/deals/${id}`, { custom_fields: { [enumF.field_code]: b!.id, [setF.field_code]: null, [fields.double.field_code]: 7 } });
    expect(patched.status).toBe(200);
    const after = (await api(sb, 'GET', `/api/v2/deals/${id}`)).json.data as { custom_fields: Record<string, unknown>; update_time: string };
    expect(after.custom_fields[enumF.field_code]).toBe(b!.id);
    expect(after.custom_fields[setF.field_code]).toBeNull();
    expect(after.custom_fields[fields.double.field_code]).toBe(7);
    expect(after.custom_fields[fields.monetary.field_code]).toEqual({ value: 2300, currency: 'EUR' }); // merged key by key
    expect(after.update_time).toBe('2026-11-25T12:00:01Z');
  });

  it('rejects invalid values with a 400 envelope and leaves the record unchanged', async () => {
    const tier = sb.state.fieldByName('organization', 'Tier')!;
    const setF = await createField('organization', 'set', ['X']);
    const before = sb.state.get('organization', 1);
    const cases: unknown[] = [
      { custom_fields: { [tier.key]: 999_999 } },
      { custom_fields: { [tier.key]: String(tier.options![0]!.id) } },
      { custom_fields: { [setF.field_code]: [] } },
      { custom_fields: { deadbeef: 1 } },
      { owner_id: '2' },
      { owner_id: 999 },
      { owner_id: 7 }, // deactivated user
      { name: 'ok', visible_to: '3' },
      { unknown_key: 1 },
    ];
    for (const body of cases) {
      const r = await api(sb, 'PATCH', '/api/v2/organizations/1', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json).toMatchObject({ success: false, error: expect.stringMatching(/Validation failed/), error_info: 'Please check developers.pipedrive.com', data: null, additional_data: null });
    }
    expect(sb.state.get('organization', 1)).toEqual(before);
    expect((await api(sb, 'PATCH', '/api/v2/organizations/99999', { name: 'x' })).status).toBe(404);
  });
});

describe('activities', () => {
  it('validates type, links participants and sets marked_as_done_time', async () => {
    const bad = await api(sb, 'POST', '/api/v2/activities', { subject: 'x', type: 'Call' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/key_string/);
    expect((await api(sb, 'POST', '/api/v2/activities', { subject: 'x', type: 'call', done: 1 })).status).toBe(400);
    expect((await api(sb, 'POST', '/api/v2/activities', { subject: 'x', type: 'call', deal_id: 99999 })).status).toBe(400);

    const r = await api(sb, 'POST', '/api/v2/activities', {
      subject: 'FUP', type: 'meeting', owner_id: 2, org_id: 1, deal_id: 1, due_date: '2026-11-26', due_time: '15:00',
      participants: [{ person_id: 2, primary: false }, { person_id: 1, primary: true }], note: '<p>check-list</p>',
    });
    expect(r.status).toBe(200);
    const a = r.json.data as Record<string, unknown>;
    expect(a).toMatchObject({
      subject: 'FUP', type: 'meeting', owner_id: 2, org_id: 1, deal_id: 1, person_id: 1, due_date: '2026-11-26', due_time: '15:00:00',
      done: false, marked_as_done_time: null, is_deleted: false, note: '<p>check-list</p>', add_time: '2026-11-25T12:00:00Z',
      participants: [{ person_id: 2, primary: false }, { person_id: 1, primary: true }],
    });
    t += 5000;
    const done = (await api(sb, 'PATCH', `/api/v2/activities/${a.id as number}`, { done: true })).json.data as Record<string, unknown>;
    expect(done).toMatchObject({ done: true, marked_as_done_time: '2026-11-25T12:00:05Z', update_time: '2026-11-25T12:00:05Z' });
    const undone = (await api(sb, 'PATCH', `/api/v2/activities/${a.id as number}`, { done: false })).json.data as Record<string, unknown>;
    expect(undone.marked_as_done_time).toBeNull();

    const del = await api(sb, 'DELETE', `/api/v2/activities/${a.id as number}`);
    expect(del.json).toEqual({ success: true, data: { id: a.id } });
    expect(sb.state.get('activity', a.id as number)).toMatchObject({ is_deleted: true });
    expect((await api(sb, 'DELETE', `/api/v2/activities/${a.id as number}`)).status).toBe(404);
  });

  it('creates activity types with a key_string generated from the name', async () => {
    const r = await api(sb, 'POST', '/v1/activityTypes', { name: 'Revisão de negócios', icon_key: 'meeting' });
    expect(r.json.data).toMatchObject({ name: 'Revisão de negócios', key_string: 'revisao_de_negocios', active_flag: true, is_custom_flag: true });
    const types = (await api(sb, 'GET', '/api/v1/activityTypes')).json.data as Array<{ key_string: string }>;
    expect(types.map((x) => x.key_string)).toEqual(['call', 'meeting', 'task', 'deadline', 'email', 'lunch', 'revisao_de_negocios']);
    expect((await api(sb, 'POST', '/api/v2/activities', { type: 'revisao_de_negocios', subject: 'QBR' })).status).toBe(200);
  });
});

describe('write log', () => {
  it('records every POST/PATCH/DELETE with status, entity, id and body, successful or not', async () => {
    sb.clearWrites();
    await api(sb, 'POST', '/api/v2/activities', { subject: 'A', type: 'call', org_id: 3 });
    await api(sb, 'PATCH', '/api/v2/organizations/3', { custom_fields: { nope: 1 } });
    await api(sb, 'DELETE', '/api/v2/deals/1');
    await api(sb, 'GET', '/api/v2/deals/1');
    const w = sb.writes();
    expect(w.map(({ seq, method, path, entity, id, status, applied }) => ({ seq, method, path, entity, id, status, applied }))).toEqual([
      { seq: 1, method: 'POST', path: '/api/v2/activities', entity: 'activity', id: sb.state.counts().activities, status: 200, applied: true },
      { seq: 2, method: 'PATCH', path: '/api/v2/organizations/3', entity: 'organization', id: null, status: 400, applied: false },
      { seq: 3, method: 'DELETE', path: '/api/v2/deals/1', entity: 'deal', id: 1, status: 200, applied: true },
    ]);
    expect(w[0]!.body).toEqual({ subject: 'A', type: 'call', org_id: 3 });
    expect(w[0]!.at).toBe('2026-11-25T12:00:00.000Z');
    expect(sb.stats().byRoute).toMatchObject({ 'POST /api/v2/activities 200': 1, 'PATCH /api/v2/organizations/:id 400': 1, 'DELETE /api/v2/deals/:id 200': 1, 'GET /api/v2/deals/:id 200': 1 });
  });
});
