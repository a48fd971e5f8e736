import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { describeFailure } from '../../../src/ops/describe-failure.js';
import { PipedriveAuthError, PipedriveNetworkError, PipedriveServerError } from '../../../src/pipedrive/errors.js';
import { LockLostError } from '../../../src/store/lock.js';
import { DailyBudgetExhaustedError } from '../../../src/pipedrive/errors.js';

describe('describeFailure', () => {
  it('names a revoked token as an auth failure, keeping what to fix', () => {
    const err = new PipedriveAuthError('Pipedrive rejected the API token: check PIPEDRIVE_API_TOKEN', { method: 'GET', path: '/api/v2/deals', status: 401 });
    expect(describeFailure(err)).toEqual({ kind: 'auth', reason: 'Pipedrive rejected the API token: check PIPEDRIVE_API_TOKEN (HTTP 401)' });
  });

  it('tells outages, network trouble, config, lost locks and plain errors apart', () => {
    expect(describeFailure(new PipedriveServerError('server error', { method: 'GET', path: '/x', status: 503 })).kind).toBe('outage');
    expect(describeFailure(new PipedriveNetworkError('no route', { method: 'GET', path: '/x' }, 'ECONNREFUSED')).kind).toBe('network');
    expect(describeFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })).kind).toBe('network');
    expect(describeFailure(Object.assign(new Error('Too many requests'), { response: { status: 429 } })).kind).toBe('rate-limit');
    expect(describeFailure(new ConfigError(['company "a": environment variable A_TOKEN is not set'])).kind).toBe('config');
    expect(describeFailure(new LockLostError('company:a', 'gone')).kind).toBe('lock-lost');
    expect(describeFailure(new TypeError('x is undefined'))).toEqual({ kind: 'error', reason: 'TypeError: x is undefined' });
    // Classified by class, not by name: an error named like ours but of another class is just an error,
    // and an error that crossed a process as data is classified by the kind it carries.
    expect(describeFailure(Object.assign(new Error('look-alike'), { name: 'PipedriveAuthError' })).kind).toBe('error');
    expect(describeFailure(Object.assign(new Error('from the job outcome'), { name: 'PipedriveAuthError', kind: 'auth' })).kind).toBe('auth');
    expect(describeFailure(new DailyBudgetExhaustedError('spent', { method: 'GET', path: '/x', status: 429 }, {})).kind).toBe('rate-limit');
  });

  it('masks anything shaped like a credential and keeps the reason to one short line', () => {
    const { reason } = describeFailure(new Error('GET https://acme.pipedrive.com/v1/deals?api_token=abcdef123456&limit=5 failed\nAuthorization: Bearer eyJhbGciOiJI.abc.def'));
    expect(reason).toBe('Error: GET https://acme.pipedrive.com/v1/deals?api_token=[REDACTED]&limit=5 failed Authorization: Bearer [REDACTED]');
    expect(describeFailure(new Error('x'.repeat(1000))).reason).toHaveLength(400);
  });

  it('describes things that are not errors', () => {
    expect(describeFailure({ success: false, error: 'unauthorized' })).toEqual({ kind: 'error', reason: 'non-error thrown: {"success":false,"error":"unauthorized"}' });
    expect(describeFailure('boom')).toEqual({ kind: 'error', reason: 'boom' });
  });
});
