import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, DealsApi, OrganizationsApi } from 'pipedrive/v2';
import { Configuration as V1Configuration, ActivityTypesApi } from 'pipedrive/v1';
import { startSandbox } from '../../sandbox/server.js';
import type { Sandbox } from '../../sandbox/server.js';
import { generateDataset } from '../../sandbox/generator.js';

const NOW = new Date('2026-11-25T12:00:00Z');
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: NOW, scale: 'demo' }), now: () => NOW });
});
afterAll(async () => {
  await sb.close();
});

describe('official pipedrive SDK against the sandbox', () => {
  it('lists every deal through the custom base URL, following next_cursor to the end', async () => {
    const cfg = new Configuration({ apiKey: sb.token, basePath: `${sb.url}/api/v2` });
    const deals = new DealsApi(cfg);
    const ids: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await deals.getDeals({ limit: 20, sort_by: 'update_time', sort_direction: 'asc', ...(cursor ? { cursor } : {}) });
      pages++;
      expect(page.success).toBe(true);
      ids.push(...(page.data ?? []).map((d) => d.id!));
      cursor = page.additional_data?.next_cursor ?? undefined;
    } while (cursor);
    const n = sb.state.counts().deals;
    expect(pages).toBe(Math.ceil(n / 20));
    expect(ids.sort((a, b) => a - b)).toEqual([...Array(n).keys()].map((i) => i + 1));
    expect(sb.stats().byRoute['GET /api/v2/deals 200']).toBe(pages);
  });

  it('writes through the SDK and surfaces the v1 activity types', async () => {
    const cfg = new Configuration({ apiKey: sb.token, basePath: `${sb.url}/api/v2` });
    const tier = sb.state.fieldByName('organization', 'Tier')!;
    const updated = await new OrganizationsApi(cfg).updateOrganization({
      id: 3, UpdateOrganizationRequest: { custom_fields: { [tier.key]: tier.options![1]!.id } },
    });
    expect(updated.data?.custom_fields?.[tier.key]).toBe(tier.options![1]!.id);
    const types = await new ActivityTypesApi(new V1Configuration({ apiKey: sb.token, basePath: `${sb.url}/api/v1` })).getActivityTypes();
    expect(types.data?.map((t) => t.key_string)).toContain('meeting');
    // The SDK rejects with the error body (no status): the 400 envelope reaches the caller.
    await expect(new OrganizationsApi(cfg).updateOrganization({ id: 3, UpdateOrganizationRequest: { custom_fields: { [tier.key]: 424242 } } }))
      .rejects.toMatchObject({ success: false, error: expect.stringContaining('424242') });
  });
});
