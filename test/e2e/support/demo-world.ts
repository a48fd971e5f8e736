/**
 * What most e2e files start from: the sandbox with the demo firm generated at `at`, its clock read from the
 * test (`now`), a generous rate limit (these tests are about what is written, not about pacing), a
 * temporary folder for the state store, and `setup` run when a policy is given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from '../../../sandbox/generator.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../sandbox/server.js';
import type { Policy } from '../../../src/config/policy-schema.js';
import type { Logger } from '../../../src/log/logger.js';
import { runSetup } from '../../../src/setup/run-setup.js';
import { makeClient } from './pipeline.js';

export const FAST_LIMITS = { burstLimit: 10_000, dailyTokenBudget: 10_000_000 };

export interface DemoWorld {
  sb: Sandbox;
  /** A fresh temporary folder (the state store's, the reports'). */
  dir: string;
  close(): Promise<void>;
}

export async function startDemoWorld(o: {
  at: Date;
  now: () => Date;
  /** The temporary folder's name prefix. */
  prefix: string;
  logger: Logger;
  /** Run `setup` with it (flag fields, activity types) before the test. */
  setupPolicy?: Policy;
  /** More sandbox options (contract recorder, webhook delivery). */
  sandbox?: Partial<SandboxOptions>;
}): Promise<DemoWorld> {
  const sb = await startSandbox({ dataset: generateDataset({ seed: 1, now: o.at, scale: 'demo' }), now: o.now, rateLimit: FAST_LIMITS, ...o.sandbox });
  const dir = mkdtempSync(join(tmpdir(), o.prefix));
  if (o.setupPolicy) await runSetup({ client: makeClient(sb.url, sb.token, o.logger), policy: o.setupPolicy, logger: o.logger });
  return {
    sb,
    dir,
    async close() {
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
