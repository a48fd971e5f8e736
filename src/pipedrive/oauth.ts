/**
 * OAuth that lasts the night (a Marketplace-app install): the access token expires in about an hour and is
 * renewed with the refresh token through the SDK's own `OAuth2Configuration.tokenRefresh` (POST
 * `{host}/oauth/token`, HTTP Basic client id:secret, PIPEDRIVE.md §1).
 *
 * - The current tokens live in the company's SecretStore as one value (`pipedrive-oauth`): the access and
 *   the rotated refresh token are replaced together, and saved before the new access token is used.
 * - The refresh token from the configuration only seeds the store; a different one in the configuration
 *   (the app was re-authorized) replaces what the store holds.
 * - Refreshed ahead of expiry (5 minutes), and on a 401 (PipedriveHttp's onUnauthorized).
 * - A refused refresh (revoked, expired, app uninstalled) is a PipedriveAuthError (exit 3) that says to
 *   reinstall or re-authorize. Tokens never reach a log or an error message.
 */
import { createHash } from 'node:crypto';
import { OAuth2Configuration, type TokenResponse } from 'pipedrive/v2';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { SecretStore } from '../store/secret-store.js';
import { PipedriveAuthError, PipedriveNetworkError } from './errors.js';
import { systemClock, type Clock } from '../domain/clock.js';

export interface OAuthAppSettings {
  clientId: string;
  clientSecret: string;
  /** The refresh token the app install gave (seeds the store). */
  refreshToken: string;
  /** OAuth server origin (default https://oauth.pipedrive.com). */
  host?: string;
}

export const OAUTH_SECRET_NAME = 'pipedrive-oauth';
const REFRESH_AHEAD_MS = 5 * 60_000;

const StoredToken = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  /** Epoch ms when the access token expires. */
  expiresAt: z.number(),
  scope: z.string(),
  apiDomain: z.string().nullable(),
  /** sha256 of the configured refresh token these tokens descend from. */
  seed: z.string(),
});
export type StoredOAuthToken = z.infer<typeof StoredToken>;

export interface OAuthSessionOptions {
  app: OAuthAppSettings;
  secrets: SecretStore;
  logger: Logger;
  clock?: Pick<Clock, 'now'>;
}

const REAUTHORIZE =
  'the Pipedrive OAuth refresh token was refused (revoked, expired, or the app was uninstalled): reinstall the app or re-authorize it, then set PIPEDRIVE_OAUTH_REFRESH_TOKEN to the new refresh token';

export class OAuthSession {
  private cached: StoredOAuthToken | undefined;
  private inflight: Promise<StoredOAuthToken> | undefined;
  private readonly now: () => number;
  private readonly seed: string;

  constructor(private readonly options: OAuthSessionOptions) {
    const clock = options.clock ?? systemClock();
    this.now = () => clock.now();
    this.seed = createHash('sha256').update(options.app.refreshToken).digest('hex');
  }

  /** A valid access token: the stored one, or a fresh one when it expires within five minutes. */
  async accessToken(): Promise<string> {
    const current = await this.load();
    if (current && this.now() < current.expiresAt - REFRESH_AHEAD_MS) return current.accessToken;
    return (await this.refresh(current ? 'expiring' : 'no stored token')).accessToken;
  }

  /** Scopes granted to the current token (empty before the first refresh). */
  async grantedScopes(): Promise<string[]> {
    const current = (await this.load()) ?? (await this.refresh('no stored token'));
    return current.scope.split(/[\s,]+/).filter(Boolean);
  }

  /**
   * Renews the tokens (one refresh at a time; concurrent callers share it). `rejected` is the access token
   * a 401 answered: when another caller already replaced it, its replacement is returned without a refresh.
   */
  refresh(reason: string, rejected?: string): Promise<StoredOAuthToken> {
    if (rejected !== undefined && this.cached && this.cached.accessToken !== rejected) return Promise.resolve(this.cached);
    this.inflight ??= this.doRefresh(reason).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<StoredOAuthToken | undefined> {
    if (this.cached) return this.cached;
    const raw = await this.options.secrets.get(OAUTH_SECRET_NAME);
    if (raw === undefined) return undefined;
    let parsed: StoredOAuthToken | undefined;
    try {
      const r = StoredToken.safeParse(JSON.parse(raw));
      parsed = r.success ? r.data : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed) {
      this.options.logger.warn('stored OAuth tokens are unreadable: starting again from the configured refresh token');
      return undefined;
    }
    // Re-authorized since: the configured refresh token is newer than the stored lineage.
    if (parsed.seed !== this.seed) return undefined;
    this.cached = parsed;
    return parsed;
  }

  private async doRefresh(reason: string): Promise<StoredOAuthToken> {
    const current = await this.load();
    const refreshToken = current?.refreshToken ?? this.options.app.refreshToken;
    const oauth = new OAuth2Configuration({
      clientId: this.options.app.clientId,
      clientSecret: this.options.app.clientSecret,
      // Only used by the authorization-code flow, which the app install did.
      redirectUri: 'urn:pipedrive-cadence:unused',
      ...(this.options.app.host ? { host: this.options.app.host.replace(/\/+$/, '') } : {}),
    });
    oauth.updateToken({ refresh_token: refreshToken } as TokenResponse);
    let response: TokenResponse;
    try {
      response = await oauth.tokenRefresh();
    } catch (err) {
      throw refreshError(err);
    }
    if (typeof response?.access_token !== 'string' || response.access_token === '') {
      throw new PipedriveNetworkError('the Pipedrive OAuth server answered the token refresh without an access token: run again later', { method: 'POST', path: '/oauth/token' }, undefined);
    }
    const next: StoredOAuthToken = {
      accessToken: response.access_token,
      refreshToken: response.refresh_token || refreshToken,
      expiresAt: this.now() + Math.max(60, Number(response.expires_in) || 3600) * 1000,
      scope: typeof response.scope === 'string' ? response.scope : '',
      apiDomain: typeof response.api_domain === 'string' ? response.api_domain : null,
      seed: this.seed,
    };
    // Saved (one write: both tokens) before the new access token is handed out: a crash after this point
    // leaves the rotated refresh token in the store, never only in memory.
    await this.options.secrets.set(OAUTH_SECRET_NAME, JSON.stringify(next));
    this.cached = next;
    this.options.logger.info({ reason, rotated: next.refreshToken !== refreshToken, expiresInS: Math.round((next.expiresAt - this.now()) / 1000) }, 'OAuth access token refreshed');
    return next;
  }
}

function refreshError(err: unknown): Error {
  // The SDK rejects with the OAuth server's body (`{ error: "invalid_grant", … }`) or an axios error.
  const body = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : {};
  const code = typeof body.error === 'string' ? body.error : undefined;
  const info = { method: 'POST', path: '/oauth/token' };
  if (code === 'invalid_grant' || code === 'invalid_token' || code === 'unauthorized_client') return new PipedriveAuthError(REAUTHORIZE, { ...info, status: 400 });
  if (code === 'invalid_client') {
    return new PipedriveAuthError('the Pipedrive OAuth server refused the client id or secret: check PIPEDRIVE_OAUTH_CLIENT_ID and PIPEDRIVE_OAUTH_CLIENT_SECRET', { ...info, status: 401 });
  }
  const netCode = typeof body.code === 'string' ? body.code : 'error';
  return new PipedriveNetworkError(`the Pipedrive OAuth token refresh failed (${netCode}): check the network; the run stops and the next one tries again`, info, netCode);
}
