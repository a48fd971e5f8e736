/**
 * The stand-in nightly job for the operations end-to-end tests, driven by environment variables:
 *   OPS_JOB_FAIL      companies whose token is "revoked": the job throws PipedriveAuthError (401)
 *   OPS_JOB_HOLD      companies whose job works until aborted, then writes a checkpoint and returns
 *   OPS_JOB_STUBBORN  companies whose job ignores the abort (to test the second signal)
 *   OPS_JOB_DELAY_MS  how long the other companies' jobs take (default 50)
 * Events: job-start, job-checkpoint, job-end (with companyId), through ctx.emit.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { PipedriveAuthError } from '../../../src/pipedrive/errors.js';
import type { OpsJobContext } from './ops-worker.js';

const list = (value: string | undefined) => new Set((value ?? '').split(',').filter(Boolean));

export function createJob({ store, env, emit }: OpsJobContext) {
  const fail = list(env.OPS_JOB_FAIL);
  const hold = list(env.OPS_JOB_HOLD);
  const stubborn = list(env.OPS_JOB_STUBBORN);
  const delayMs = Number(env.OPS_JOB_DELAY_MS ?? 50);
  return async (companyId: string, signal: AbortSignal) => {
    emit({ event: 'job-start', companyId });
    if (fail.has(companyId)) {
      throw new PipedriveAuthError('Pipedrive rejected the API token (revoked or wrong): set a valid token', { method: 'GET', path: '/api/v2/users/me', status: 401 });
    }
    if (stubborn.has(companyId)) await new Promise<never>(() => undefined);
    if (hold.has(companyId)) {
      // Work page by page, checking the signal between writes, like the real job.
      let page = 0;
      while (!signal.aborted) {
        page++;
        await store.keyv.set(`test:progress:${companyId}`, { page });
        await delay(20);
      }
      await store.keyv.set(`test:checkpoint:${companyId}`, { page, at: new Date().toISOString() });
      emit({ event: 'job-checkpoint', companyId, page });
      return { status: 'partial', checkpointPage: page };
    }
    await delay(delayMs);
    emit({ event: 'job-end', companyId });
    return { status: 'ok' };
  };
}
