/**
 * Issue 15: the parallel pull killed at seeded points. A first night whose large lists are read as several
 * cursor chains runs in a child process (support/sync-child.ts) writing a SQLite state file; the test
 * SIGKILLs it after a seeded number of committed pages, edits the sandbox, kills the next run at another
 * seeded point, and so on; then a run completes and the next night runs. That night's mirror equals the
 * sandbox and the mirror of an uninterrupted sync, and no list page was read twice beyond the chains'
 * overlaps: the pages in hand at each kill (at most two per chain: the one being committed and the one read
 * ahead), which the resumed chain asks for again with the same cursor.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { createPrng } from '../../sandbox/prng.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { systemClock } from '../../src/domain/clock.js';
import { SYNCED_ENTITIES } from '../../src/domain/entities.js';
import { createLogger } from '../../src/log/logger.js';
import { createPipedriveClient } from '../../src/pipedrive/client.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import { runSync } from '../../src/sync/run-sync.js';
import { expectMirrorEqualsSandbox } from './support/sync-expect.js';

const CHILD = fileURLToPath(new URL('./support/sync-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cadence-chains-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PAGE = 50;
const CHAINS = '4:3';
const LIST = /^\/api\/v2\/(deals|deals\/archived|persons|organizations|activities)$/;

interface StreamSummary {
  pages: number;
  chains: number;
  completed: boolean;
  resumed: boolean;
}
interface ChildRun {
  pages: number;
  killed: boolean;
  exitCode: number | null;
  done: { status: string; entities: Record<string, StreamSummary>; archivedDeals: StreamSummary } | undefined;
  stderr: string;
}

/** Runs the child; SIGKILLs it once it has reported `killAfterPages` committed pages (never, if undefined). */
function runChild(sandbox: Sandbox, file: string, killAfterPages?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, sandbox.url, sandbox.token, file, 'crash', CHAINS], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { pages: 0, killed: false, exitCode: null, done: undefined, stderr: '' };
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('page ')) {
        run.pages += 1;
        if (killAfterPages !== undefined && run.pages >= killAfterPages && !run.killed) run.killed = child.kill('SIGKILL');
      } else if (line.startsWith('done ')) run.done = JSON.parse(line.slice(5)) as ChildRun['done'];
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      run.exitCode = code;
      resolve(run);
    });
  });
}

/** Chains a killed run left running, from its committed checkpoints (an unsplit pass is one chain). */
async function runningChains(file: string): Promise<number> {
  const store = await openStateStore(`sqlite://${file}`, createLogger({ level: 'silent' }));
  try {
    const state = store.company('crash');
    const cps = [...(await Promise.all(SYNCED_ENTITIES.map((e) => state.checkpoints.get(e)))), await state.checkpoints.get('deal', 'archived')];
    return cps.reduce((n, cp) => n + (cp.pass === null ? 0 : (cp.pass.chains?.filter((c) => !c.done).length ?? 1)), 0);
  } finally {
    await store.close();
  }
}

/** Changes made in Pipedrive while the sync is down: each moves a record to the open-ended window. */
function editSandbox(sandbox: Sandbox, round: number): void {
  const s = sandbox.state;
  const orgs = s.list('organization') as Array<{ id: number }>;
  s.upsert('organization', { id: orgs[3 + round]!.id, name: `Changed while the sync was down (${round})` });
  const open = (s.list('activity') as Array<{ id: number; done: boolean }>).filter((a) => !a.done);
  s.markActivityDone(open[round * 7]!.id);
  s.remove('deal', (s.list('deal')[2 + round] as { id: number }).id);
  s.upsert('person', { id: (s.list('person')[10 + round] as { id: number }).id, name: `Renamed while down (${round})` });
}

describe('the parallel pull killed at seeded points', () => {
  for (const seed of [1501, 1502]) {
    it(`seed ${seed}: the next night converges to the same mirror, no page read twice beyond the chains' overlaps`, { timeout: 240_000 }, async () => {
      const requests = new Map<string, number>();
      const sandbox = await startSandbox({
        dataset: generateDataset({ seed, now: new Date(), scale: { organizations: 300, personsPerOrg: 3, dealsPerOrg: 2, activitiesPerOrg: 10 } }),
        rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 },
        // Slow pages so that the kills land while the chains run; 50 records a page makes ~100 pages.
        knobs: { latencyMs: 15, maxPageItems: PAGE },
        onExchange: (x) => {
          if (x.method !== 'GET' || !LIST.test(x.path) || x.status !== 200) return;
          const key = `${x.path}?${new URLSearchParams(Object.entries(x.query).sort()).toString()}`;
          requests.set(key, (requests.get(key) ?? 0) + 1);
        },
      });
      try {
        const file = join(dir, `state-${seed}.sqlite`);
        const prng = createPrng(seed);
        const kills = [prng.int(1, 12), prng.int(5, 30), prng.int(10, 40)];
        let killed = 0;
        // Pages that may be read twice: two per chain left running at each kill.
        let overlaps = 0;
        for (const [round, at] of kills.entries()) {
          const run = await runChild(sandbox, file, at);
          expect(run.stderr).toBe('');
          if (run.killed) killed += 1;
          if (run.done) break;
          overlaps += 2 * (await runningChains(file));
          editSandbox(sandbox, round);
        }
        expect(killed).toBeGreaterThanOrEqual(2);
        const last = await runChild(sandbox, file);
        expect(last.stderr).toBe('');
        expect(last.exitCode).toBe(0);
        expect(last.done?.status).toBe('ok');
        const streams = [...SYNCED_ENTITIES.map((e) => last.done!.entities[e]!), last.done!.archivedDeals];
        expect(streams.every((s) => s.completed)).toBe(true);
        // The first night's large lists were split, and the resumed run went on with the chains it found.
        expect(last.done!.entities.activity!.chains).toBe(4);

        // No page read twice but those in hand at a kill (two per running chain at most).
        const twice = [...requests.values()].reduce((n, c) => n + c - 1, 0);
        console.info(`seed ${seed}: kills after ${kills.join(', ')} pages (${killed} landed), ${twice} list pages read twice (bound ${overlaps}), ${[...requests.values()].reduce((a, b) => a + b, 0)} list pages`);
        expect(twice).toBeLessThanOrEqual(overlaps);

        // The next night: incremental, and the mirror is the sandbox's, and that of an uninterrupted sync.
        const next = await runChild(sandbox, file);
        expect(next.done?.status).toBe('ok');
        const logger = createLogger({ level: 'silent' });
        const killedStore = await openStateStore(`sqlite://${file}`, logger);
        const resumed = killedStore.company('crash');
        await expectMirrorEqualsSandbox(resumed, sandbox);
        sandbox.setKnobs({ latencyMs: 0 });
        const clean = await openStateStore('memory://', logger);
        const client = createPipedriveClient({ connection: { baseUrl: sandbox.url, apiToken: sandbox.token, timeoutMs: 10_000, concurrency: 2 }, logger });
        await runSync({ client, companyState: clean.company('clean'), logger, clock: systemClock(), reconcile: 'skip', chains: { maxChains: 4, minPagesPerChain: 3 } });
        for (const e of SYNCED_ENTITIES) expect(await resumed.mirror.loadEntity(e)).toEqual(await clean.company('clean').mirror.loadEntity(e));
        await killedStore.close();
        await clean.close();
      } finally {
        await sandbox.close();
      }
    });
  }
});
