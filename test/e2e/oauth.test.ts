/**
 * OAuth that lasts the night, end to end: an OAuth app install (client id, secret, refresh token) against
 * the sandbox's OAuth server (sandbox/oauth.ts: one-hour access tokens, refresh-token rotation,
 * revocation), the SDK's OAuth2Configuration refreshing, the tokens kept in the SQLite state store through
 * the SecretStore. Nights are a day apart on the sandbox clock, so every night starts with an expired token.
 */
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset } from '../../sandbox/generator.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { parsePolicy } from '../../src/config/load-config.js';
import { describeFailure } from '../../src/cli/errors-to-exit.js';
import { createLogger } from '../../src/log/logger.js';
import { createPipedriveClient } from '../../src/pipedrive/client.js';
import { PipedriveAuthError } from '../../src/pipedrive/errors.js';
import { OAUTH_SECRET_NAME } from '../../src/pipedrive/oauth.js';
import { randomBytes } from 'node:crypto';
import { encryptedSecretStore, secretKeyring, type SecretStore } from '../../src/store/secret-store.js';
import { openStateStore, type StateStore } from '../../src/store/open-state-store.js';
import { runSetup } from '../../src/setup/run-setup.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { makeClient, runPipeline } from './support/pipeline.js';

const lines: string[] = [];
const logger = createLogger({
  level: 'debug',
  destination: new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  }) as never,
});
const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');
const T0 = Date.parse('2026-03-12T15:00:00Z');
const DAY = 86_400_000;
const APP = { clientId: 'cadence-app', clientSecret: 'app-secret-XYZ' };
// The tokens are kept encrypted under CADENCE_SECRET_KEY, as the composition root keeps them.
const KEYRING = secretKeyring({ current: randomBytes(32).toString('base64') });

let sb: Sandbox;
let dir: string;
let clock: Date;
let installRefreshToken: string;

beforeAll(async () => {
  clock = new Date(T0);
  sb = await startSandbox({
    dataset: generateDataset({ seed: 1, now: clock, scale: 'demo' }),
    now: () => clock,
    rateLimit: { burstLimit: 10_000, dailyTokenBudget: 10_000_000 },
    oauth: { ...APP, accessTokenTtlSec: 3599 },
  });
  dir = mkdtempSync(join(tmpdir(), 'cadence-oauth-'));
  await runSetup({ client: makeClient(sb.url, sb.token, logger), policy, logger });
  installRefreshToken = sb.oauth!.install();
});
afterAll(async () => {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One night as the job runs it, authenticated as the OAuth app; `secrets` lets a test break the store. */
function night(runId: string, opts: { wrapSecrets?: (s: SecretStore) => SecretStore; clientClock?: () => number } = {}) {
  return runPipeline({
    baseUrl: sb.url,
    token: 'unused',
    stateUrl: `sqlite://${join(dir, 'state.sqlite')}`,
    companyId: 'demo-firm',
    now: clock,
    policy,
    logger,
    runId,
    apply: true,
    client: (store: StateStore) => {
      const plain = encryptedSecretStore(store, 'demo-firm', KEYRING);
      return createPipedriveClient({
        connection: { baseUrl: sb.url, oauthApp: { ...APP, refreshToken: installRefreshToken, host: sb.url }, timeoutMs: 10_000, concurrency: 4 },
        logger,
        secrets: opts.wrapSecrets ? opts.wrapSecrets(plain) : plain,
        oauthClock: { now: opts.clientClock ?? (() => clock.getTime()) },
      });
    },
  });
}

describe('an OAuth company over several nights', () => {
  const outcomes: Array<{ name: string; status: string; refreshes: number }> = [];

  it('night 1: the install refresh token is exchanged for an access token, kept in the state store; the night runs', async () => {
    const out = await night('night-1');
    expect(out.sync.status).toBe('ok');
    expect(out.apply?.counts.created).toBeGreaterThan(0);
    expect(out.apply?.aborted).toBeNull();
    expect(sb.oauth!.refreshes).toBe(1);
    outcomes.push({ name: 'night-1', status: out.sync.status, refreshes: sb.oauth!.refreshes });
  });

  it('night 2: the access token has expired; the rotation dies before its tokens are saved: the night fails', async () => {
    clock = new Date(T0 + DAY);
    let stored: string | undefined;
    const err = await night('night-2', {
      wrapSecrets: (s) => ({
        ...s,
        get: async (n) => (stored = await s.get(n)),
        set: async () => {
          throw new Error('process killed while saving the rotated tokens');
        },
      }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/process killed/);
    // Pipedrive did rotate (a second refresh), but the store still holds night 1's tokens.
    expect(sb.oauth!.refreshes).toBe(2);
    expect(JSON.parse(stored!)).toMatchObject({ refreshToken: expect.stringMatching(/^sbrt_/) });
  });

  it('night 3: the refresh token the store kept still authenticates (the rotation that died was never used)', async () => {
    clock = new Date(T0 + 2 * DAY);
    const out = await night('night-3');
    expect(out.sync.status).toBe('ok');
    expect(sb.oauth!.refreshes).toBe(3);
    outcomes.push({ name: 'night-3', status: out.sync.status, refreshes: sb.oauth!.refreshes });
  });

  it('night 4: a token the client still believes fresh is refused (401): refreshed on the 401 and the request sent again', async () => {
    clock = new Date(T0 + 3 * DAY);
    const out = await night('night-4', { clientClock: () => T0 + 2 * DAY });
    expect(out.sync.status).toBe('ok');
    expect(sb.oauth!.refreshes).toBe(4);
    expect(lines.some((l) => l.includes('answered 401: OAuth token refreshed'))).toBe(true);
    outcomes.push({ name: 'night-4', status: out.sync.status, refreshes: sb.oauth!.refreshes });
    expect(outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
  });

  it('a revoked grant stops the company with exit 3 and a message that says to reinstall or re-authorize', async () => {
    sb.oauth!.revokeAll();
    clock = new Date(T0 + 4 * DAY);
    const err = await night('night-5').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipedriveAuthError);
    expect((err as Error).message).toMatch(/refresh token was refused.*reinstall the app or re-authorize it/);
    expect(describeFailure(err).code).toBe(3);
  });

  it('no token, secret or refresh token ever reaches a log line; the tokens are in the store under one name', async () => {
    const all = lines.join('');
    expect(all).not.toMatch(/sbat_|sbrt_/);
    expect(all).not.toContain(APP.clientSecret);
    expect(all).toContain('OAuth access token refreshed');
    expect(OAUTH_SECRET_NAME).toBe('pipedrive-oauth');
  });

  it('the tokens are encrypted at rest: no access or refresh token in the raw SQLite files', async () => {
    const raw = ['state.sqlite', 'state.sqlite-wal']
      .map((f) => {
        try {
          return readFileSync(join(dir, f)).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
    expect(raw).toContain('A256GCM');
    expect(raw).not.toMatch(/sbat_|sbrt_/);
  });
});

describe('doctor under OAuth', () => {
  it('lists the scopes each part of the night needs and says which the app lacks', async () => {
    const readOnly = await startSandbox({
      dataset: generateDataset({ seed: 1, now: new Date(T0), scale: 'demo' }),
      now: () => new Date(T0),
      oauth: { ...APP, scopes: ['base', 'deals:read', 'contacts:read', 'activities:read', 'users:read'] },
    });
    const memory = await openStateStore('memory://', logger);
    try {
      const client = createPipedriveClient({
        connection: { baseUrl: readOnly.url, oauthApp: { ...APP, refreshToken: readOnly.oauth!.install(), host: readOnly.url }, timeoutMs: 10_000, concurrency: 2 },
        logger,
        secrets: encryptedSecretStore(memory, 'doctor', KEYRING),
      });
      const report = await runDoctor({ client, policy, logger });
      const scope = (id: string) => report.checks.find((c) => c.id === id)!;
      expect(scope('scopes:nightly')).toMatchObject({ status: 'ok' });
      expect(scope('scopes:write-back')).toMatchObject({ status: 'fail', detail: expect.stringContaining('POST /api/v2/activities (needs one of activities:full)') });
      expect(scope('scopes:write-back').fix).toMatch(/re-authorize/);
      expect(scope('scopes:setup')).toMatchObject({ status: 'warn', detail: expect.stringContaining('POST /api/v1/activityTypes (needs one of admin)') });
      expect(scope('scopes:webhooks')).toMatchObject({ status: 'warn', detail: expect.stringContaining('GET /api/v1/webhooks (needs one of admin)') });
      expect(report.ok).toBe(false);
    } finally {
      await memory.close();
      await readOnly.close();
    }
  });
});
