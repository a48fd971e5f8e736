/**
 * A sync killed at any moment resumes where it stopped and ends with the same mirror as an uninterrupted
 * run. The sync runs in a child process (support/sync-child.ts) writing to a SQLite file; the test SIGKILLs
 * it after some committed pages, edits the sandbox, kills the next run too, then lets a third run finish.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { SYNCED_ENTITIES } from '../../src/domain/entities.js';
import { createLogger } from '../../src/log/logger.js';
import { createPipedriveClient } from '../../src/pipedrive/client.js';
import { openStateStore } from '../../src/store/open-state-store.js';
import { runSync } from '../../src/sync/run-sync.js';
import { expectMirrorEqualsSandbox, listRequests, pagesOf } from './support/sync-expect.js';
import { systemClock } from '../../src/domain/clock.js';

const CHILD = fileURLToPath(new URL('./support/sync-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cadence-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ChildRun {
  pages: number;
  killed: boolean;
  exitCode: number | null;
  done: string | undefined;
  stderr: string;
}

/** Runs the child; SIGKILLs it once it has reported `killAfterPages` committed pages (never, if undefined). */
function runChild(sandbox: Sandbox, file: string, killAfterPages?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, sandbox.url, sandbox.token, file, 'resume'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { pages: 0, killed: false, exitCode: null, done: undefined, stderr: '' };
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('page ')) {
        run.pages += 1;
        if (killAfterPages !== undefined && run.pages >= killAfterPages && !run.killed) {
          run.killed = child.kill('SIGKILL');
        }
      } else if (line.startsWith('done ')) run.done = line.slice(5);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      run.exitCode = code;
      resolve(run);
    });
  });
}

describe('a killed sync resumes', () => {
  it('ends with the same mirror as an uninterrupted run after SIGKILLs mid-run', async () => {
    const now = new Date();
    const sandbox = await startSandbox({
      dataset: generateDataset({ seed: 9, now, scale: { organizations: 600, personsPerOrg: 3, dealsPerOrg: 2, activitiesPerOrg: 10 } }),
      rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 },
      // Slow pages so the kills land in the middle of the pull.
      knobs: { latencyMs: 40 },
    });
    try {
      const file = join(dir, 'state.sqlite');
      const first = await runChild(sandbox, file, 5);
      expect(first.killed).toBe(true);
      expect(first.done).toBeUndefined();

      // Meanwhile Pipedrive changes: the resumed pass must still see these.
      const s = sandbox.state;
      const org = s.list('organization')[3] as { id: number };
      s.upsert('organization', { id: org.id, name: 'Changed while the sync was down' });
      s.markActivityDone((s.list('activity') as Array<{ id: number; done: boolean }>).find((a) => !a.done)?.id as number);
      s.remove('deal', (s.list('deal')[2] as { id: number }).id);

      const second = await runChild(sandbox, file, 6);
      expect(second.killed).toBe(true);
      const third = await runChild(sandbox, file);
      expect(third.stderr).toBe('');
      expect(third.exitCode).toBe(0);
      const finished = JSON.parse(third.done ?? '{}') as { status: string; entities: Record<string, { resumed: boolean; completed: boolean }> };
      expect(finished.status).toBe('ok');
      expect(Object.values(finished.entities).every((e) => e.completed)).toBe(true);
      expect(Object.values(finished.entities).some((e) => e.resumed)).toBe(true);

      const logger = createLogger({ level: 'silent' });
      const killedStore = await openStateStore(`sqlite://${file}`, logger);
      const resumed = killedStore.company('resume');
      await expectMirrorEqualsSandbox(resumed, sandbox);

      // Resuming re-fetched at most the page in flight at each kill (per entity), not the whole pull.
      const counts = s.counts();
      const minimum = pagesOf(counts.organizations) + pagesOf(counts.persons) + pagesOf(counts.deals + counts.deleted.deals) + pagesOf(counts.activities);
      const interrupted = Object.values(listRequests(sandbox)).reduce((a, b) => a + b, 0);
      expect(interrupted).toBeLessThanOrEqual(minimum + 2 * SYNCED_ENTITIES.length + SYNCED_ENTITIES.length);

      // The same data synced without interruption gives the same mirror.
      const clean = await openStateStore('memory://', logger);
      const client = createPipedriveClient({ connection: { baseUrl: sandbox.url, apiToken: sandbox.token, timeoutMs: 10_000, concurrency: 2 }, logger });
      sandbox.setKnobs({ latencyMs: 0 });
      await runSync({ client, companyState: clean.company('clean'), logger, clock: systemClock(), reconcile: 'skip' });
      for (const e of SYNCED_ENTITIES) {
        expect(await resumed.mirror.loadEntity(e)).toEqual(await clean.company('clean').mirror.loadEntity(e));
      }
      await killedStore.close();
      await clean.close();
    } finally {
      await sandbox.close();
    }
  });
});
