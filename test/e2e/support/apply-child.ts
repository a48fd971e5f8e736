/**
 * One nightly pipeline (sync → rules → plan → apply) in its own process, for the crash and race tests.
 * Configuration comes from the environment:
 *   E2E_BASE_URL, E2E_TOKEN, E2E_STATE_URL, E2E_NAMESPACE?, E2E_COMPANY, E2E_NOW (ISO), E2E_RUN_ID
 *   E2E_DIE_AFTER_WRITE=n  SIGKILL itself right after the n-th write request has landed in Pipedrive, before
 *                          the ledger or audit hear of it (the "killed between POST and ledger" point)
 *   E2E_WAIT_FOR_GO=1      after planning, wait for a line on stdin before applying (a start line for races)
 * Prints `planned <n>` when the plan is ready (before applying) and one JSON line `{"done":…}` with the apply
 * summary counts when it finishes.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { parsePolicy } from '../../../src/config/load-config.js';
import type { PipedriveClient } from '../../../src/pipedrive/client.js';
import type { Plan } from '../../../src/plan/types.js';
import { runPipeline } from './pipeline.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`apply-child: ${name} is required`);
  return v;
};

const logger = pino({ level: process.env.E2E_LOG_LEVEL ?? 'silent' }, pino.destination(2));
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const dieAfter = process.env.E2E_DIE_AFTER_WRITE ? Number(process.env.E2E_DIE_AFTER_WRITE) : null;

function dieAfterWrites(client: PipedriveClient, n: number): void {
  let writes = 0;
  const landed = (): void => {
    writes += 1;
    if (writes === n) process.kill(process.pid, 'SIGKILL');
  };
  const wrap = <K extends 'createActivity' | 'deleteActivity' | 'updateOrganizationCustomFields'>(name: K): void => {
    const orig = client[name].bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const out = await orig(...args);
      landed();
      return out;
    };
  };
  wrap('createActivity');
  wrap('deleteActivity');
  wrap('updateOrganizationCustomFields');
}

async function beforeApply(plan: Plan): Promise<void> {
  process.stdout.write(`planned ${plan.writes.length}\n`);
  if (!process.env.E2E_WAIT_FOR_GO) return;
  const rl = createInterface({ input: process.stdin });
  for await (const _line of rl) break;
  rl.close();
}

const outcome = await runPipeline({
  baseUrl: env('E2E_BASE_URL'),
  token: env('E2E_TOKEN'),
  stateUrl: env('E2E_STATE_URL'),
  ...(process.env.E2E_NAMESPACE ? { namespace: process.env.E2E_NAMESPACE } : {}),
  companyId: env('E2E_COMPANY'),
  now: new Date(env('E2E_NOW')),
  policy,
  logger,
  runId: env('E2E_RUN_ID'),
  apply: true,
  ...(dieAfter !== null ? { wrapClient: (c: PipedriveClient) => dieAfterWrites(c, dieAfter) } : {}),
  beforeApply,
});
process.stdout.write(`${JSON.stringify({ done: true, planned: outcome.plan.writes.length, counts: outcome.apply?.counts, duplicatesRemoved: outcome.apply?.duplicatesRemoved, aborted: outcome.apply?.aborted })}\n`);
