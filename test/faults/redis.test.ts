/**
 * The state store (a dedicated Redis) goes away mid-run: SIGKILLed during the sync, then during the
 * write-back, of `cadence apply --force` (the pipeline without run-once's company lock, which lives in the
 * same Redis: a run that cannot release it leaves its 60-s lease behind, covered by the ops tests). The CLI must stop with a clear error instead of hanging or going on without its state; when
 * Redis is back (its append-only file restores what it had acknowledged), the state is consistent and the
 * next run converges to the end state of an uninterrupted run, without writing anything twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SYNCED_ENTITIES } from '../../src/domain/entities.js';
import {
  COMPANY,
  endState,
  expectConverged,
  expectLedgerConsistent,
  expectOnlyRightWrites,
  postsByKey,
  referenceEndState,
  startCompany,
  type EndState,
  type FaultCompany,
} from './support/company.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const NOW = new Date();
let reference: EndState;
let c: FaultCompany | undefined;
let redis: RedisServer | undefined;
let dir: string | undefined;

beforeAll(async () => {
  reference = await referenceEndState(NOW);
});
afterEach(async () => {
  await c?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  c = undefined;
  redis = undefined;
  dir = undefined;
});

async function setUp(): Promise<{ c: FaultCompany; redis: RedisServer }> {
  dir = mkdtempSync(join(tmpdir(), 'cadence-redis-'));
  redis = await startRedisServer(dir);
  c = await startCompany(NOW, { stateUrl: redis.url });
  return { c, redis };
}

/** Back up: the state is readable and consistent, and a run converges with no duplicate. */
async function expectRecovers(company: FaultCompany, server: RedisServer): Promise<void> {
  company.proxy.setDecide(undefined);
  await server.restart();
  const store = await company.openStore();
  try {
    const state = store.company(COMPANY);
    for (const e of SYNCED_ENTITIES) {
      const cp = await state.checkpoints.get(e);
      const mirror = await state.mirror.loadEntity(e);
      // Each entity's committed pages and its checkpoint were written together: a pass in progress holds
      // exactly the records it committed, a finished one has its bookmark.
      expect(cp.pass === null ? cp.bookmark !== null || mirror.size === 0 : cp.pass.records === mirror.size, `${e}: ${JSON.stringify(cp)} vs ${mirror.size} records`).toBe(true);
    }
    await expectLedgerConsistent(store, company.sandbox);
  } finally {
    await store.close();
  }
  const again = await company.cli(['run-once']);
  expect(again.code, again.stderr).toBe(0);
  await expectConverged(company, reference);
  expect([...postsByKey(company.sandbox)].filter(([, n]) => n !== 1)).toEqual([]);
}

describe('the Redis state store going away mid-run', () => {
  it('during the sync: a clear error, nothing written to Pipedrive, the next run with Redis back converges', async () => {
    const { c: company, redis: server } = await setUp();
    company.proxy.setDecide((n) => (n === 11 ? { kind: 'before', forward: true, run: () => server.kill() } : undefined));
    const r = await company.cli(['apply', '--force']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.signal).toBeNull();
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/state store|redis|ECONNREFUSED|connection/i);
    expect(company.sandbox.writes()).toEqual([]);
    await expectRecovers(company, server);
  });

  it('during the write-back: a clear error, what was written is right, the next run converges without duplicates', async () => {
    const { c: company, redis: server } = await setUp();
    let applyN = 0;
    // Redis dies as the 30th write-back request goes to Pipedrive: the write lands, recording it fails.
    company.proxy.setDecide((_n, req) => {
      if (!(req.method !== 'GET' || /[?&]org_id=/.test(req.url)) || ++applyN !== 30) return undefined;
      return { kind: 'before', forward: true, run: () => server.kill() };
    });
    const r = await company.cli(['apply', '--force']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.signal).toBeNull();
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/state store|redis|ECONNREFUSED|connection/i);
    const partial = endState(company.sandbox);
    expect(Object.keys(partial.keyed).length).toBeGreaterThan(0);
    expectOnlyRightWrites(partial, reference);
    await expectRecovers(company, server);
  });
});
