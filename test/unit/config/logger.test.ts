import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.js';

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
});
