import { describe, expect, it } from 'vitest';
import { loggerFor } from '../../../src/app/compose.js';
import { createLogger } from '../../../src/log/logger.js';
import { loadDeployment } from '../../../src/ops/deployment.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(s) } };
}

describe('logger', () => {
  const token = 'abcdef0123456789secret';

  it('redacts the token and auth headers by path', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.info({ apiToken: token, headers: { 'x-api-token': token, authorization: `Bearer ${token}` } }, 'request');
    const out = lines.join('');
    expect(out).not.toContain(token);
    expect(JSON.parse(out).headers['x-api-token']).toBe('[REDACTED]');
  });

  it('censors the token by value wherever it appears, e.g. inside an error message or URL', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, secrets: [token] });
    log.error({ err: new Error(`GET /v1/users?api_token=${token} failed`) }, `boom ${token}`);
    const out = lines.join('');
    expect(out).not.toContain(token);
    expect(out).toContain('[REDACTED]');
  });

  it('redacts OAuth tokens, webhook passwords and the secret keys by path', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    const refresh = '13374242:9001337:5f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
    log.info(
      {
        refreshToken: refresh,
        oauth: { refresh_token: refresh, access_token: 'v1u:access-value', accessToken: 'v1u:access-value' },
        webhook: { password: 'hook-password-123', secret: 'hook-secret-456' },
        CADENCE_SECRET_KEY: 'key-material',
        CADENCE_STATUS_TOKEN: 'status-token-value',
      },
      'token refreshed',
    );
    const out = lines.join('');
    for (const v of [refresh, 'v1u:access-value', 'hook-password-123', 'hook-secret-456', 'key-material', 'status-token-value']) expect(out).not.toContain(v);
    expect(JSON.parse(out).oauth.refresh_token).toBe('[REDACTED]');
  });

  it('censors the status token and the secret keys by value, in a single company and in a deployment', () => {
    const key = Buffer.alloc(32, 5).toString('base64');
    const previous = Buffer.alloc(32, 6).toString('base64');
    const statusToken = 'status-token-0123456789abcdef';
    const env = {
      PIPEDRIVE_API_TOKEN: token,
      PIPEDRIVE_COMPANY_DOMAIN: 'acme',
      CADENCE_STATUS_TOKEN: statusToken,
      CADENCE_SECRET_KEY: key,
      CADENCE_SECRET_KEY_PREVIOUS: previous,
    };
    const deployment = loadDeployment(env);
    expect(deployment.secrets).toEqual(expect.arrayContaining([token, statusToken, key, previous]));
    const { lines, destination } = capture();
    const log = loggerFor(deployment.configFor('acme'), destination);
    log.warn({ err: { message: `decrypt failed with ${key} / ${previous}` }, header: `Bearer ${statusToken}` }, `leaked ${token}`);
    const out = lines.join('');
    for (const v of [token, statusToken, key, previous]) expect(out).not.toContain(v);
  });
});
