/**
 * Helpers of the sync end-to-end tests: what the mirror must hold, computed from the sandbox's own
 * records through the same edge parser (so the comparison is of domain records, field by field).
 */
import { expect } from 'vitest';
import type { Sandbox } from '../../../sandbox/server.js';
import { SYNCED_ENTITIES, type EntityKind } from '../../../src/domain/entities.js';
import { parseEntityRecords } from '../../../src/pipedrive/records.js';
import type { CompanyState } from '../../../src/store/company-state.js';

export function expectedRecords(sandbox: Sandbox, entity: EntityKind): Map<number, unknown> {
  const { records, malformed } = parseEntityRecords(entity, sandbox.state.list(entity));
  expect(malformed).toEqual([]);
  return new Map(records.map((r) => [r.id, r]));
}

const sorted = (m: Map<number, unknown>) => [...m.entries()].sort((a, b) => a[0] - b[0]);

/** Asserts the mirror equals the sandbox's live (not deleted) records, entity by entity. */
export async function expectMirrorEqualsSandbox(state: CompanyState, sandbox: Sandbox): Promise<void> {
  for (const entity of SYNCED_ENTITIES) {
    const mirror = await state.mirror.loadEntity(entity);
    const expected = expectedRecords(sandbox, entity);
    expect({ entity, size: mirror.size }).toEqual({ entity, size: expected.size });
    expect(sorted(mirror as Map<number, unknown>)).toEqual(sorted(expected));
  }
}

/** List requests the sandbox answered with 200, per entity (`GET /api/v2/deals 200`). */
export function listRequests(sandbox: Sandbox): Record<EntityKind, number> {
  const by = sandbox.stats().byRoute;
  const plural: Record<EntityKind, string> = { organization: 'organizations', person: 'persons', deal: 'deals', activity: 'activities' };
  return Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, by[`GET /api/v2/${plural[e]} 200`] ?? 0])) as Record<EntityKind, number>;
}

export function diff(after: Record<EntityKind, number>, before: Record<EntityKind, number>): Record<EntityKind, number> {
  return Object.fromEntries(SYNCED_ENTITIES.map((e) => [e, after[e] - before[e]])) as Record<EntityKind, number>;
}

/** ⌈n/500⌉ pages, and one (empty) page for an empty list. */
export const pagesOf = (n: number) => Math.max(1, Math.ceil(n / 500));
