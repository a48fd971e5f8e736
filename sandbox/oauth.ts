/**
 * The OAuth server half of the sandbox, as `oauth.pipedrive.com` behaves for an installed app (PIPEDRIVE.md
 * §1; Pipedrive's "OAuth authorization" docs): `POST /oauth/token` with HTTP Basic `client_id:client_secret`
 * and a form body `grant_type=refresh_token&refresh_token=…` answers `{access_token, token_type: "Bearer",
 * expires_in, refresh_token, scope, api_domain}`; `POST /oauth/revoke` revokes a token.
 *
 * Modelled choices (the docs do not say): every refresh rotates the refresh token; the previous refresh
 * token stays valid until the new one (or an access token issued with it) is first used, so a client that
 * died between the answer and saving it can still refresh; a revoked grant refuses every token of it with
 * `400 {error: "invalid_grant"}`. Expiry follows the sandbox clock, so tests move time across nights.
 */
import { randomBytes } from 'node:crypto';

export interface OAuthServerOptions {
  clientId: string;
  clientSecret: string;
  /** Seconds an access token lives (Pipedrive: about an hour). */
  accessTokenTtlSec?: number;
  /** Scopes granted to the app (space separated on the wire). */
  scopes?: readonly string[];
}

interface Grant {
  revoked: boolean;
  /** Refresh tokens still accepted: the newest, and the previous until the newest is used. */
  refreshTokens: string[];
}

export interface OAuthReply {
  status: number;
  body: unknown;
}

export class SandboxOAuth {
  private readonly grants: Grant[] = [];
  private readonly accessTokens = new Map<string, { grant: Grant; refreshToken: string; expiresAt: number }>();
  refreshes = 0;

  constructor(
    private readonly options: OAuthServerOptions,
    private readonly clock: () => Date,
    private readonly apiDomain: () => string,
  ) {}

  /** An app install: a new grant and its first refresh token (what the install hands the app). */
  install(): string {
    const token = `sbrt_${randomBytes(16).toString('hex')}`;
    this.grants.push({ revoked: false, refreshTokens: [token] });
    return token;
  }

  /** Revokes every grant (the app was uninstalled or the user revoked access). */
  revokeAll(): void {
    for (const g of this.grants) g.revoked = true;
  }

  /** Whether `token` is a live access token; its first use also retires the refresh token before it. */
  acceptsAccessToken(token: string): boolean {
    const t = this.accessTokens.get(token);
    if (!t || t.grant.revoked || this.clock().getTime() >= t.expiresAt) return false;
    this.retireOlder(t.grant, t.refreshToken);
    return true;
  }

  private retireOlder(grant: Grant, refreshToken: string): void {
    const i = grant.refreshTokens.indexOf(refreshToken);
    if (i > 0) grant.refreshTokens.splice(0, i);
  }

  private clientOk(authorization: string | undefined): boolean {
    const m = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    if (!m) return false;
    const [id, secret] = Buffer.from(m[1]!, 'base64').toString('utf8').split(':');
    return id === this.options.clientId && secret === this.options.clientSecret;
  }

  /** POST /oauth/token */
  token(authorization: string | undefined, form: URLSearchParams): OAuthReply {
    if (!this.clientOk(authorization)) return { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed' } };
    if (form.get('grant_type') !== 'refresh_token') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'only refresh_token is modelled' } };
    const presented = form.get('refresh_token') ?? '';
    const grant = this.grants.find((g) => g.refreshTokens.includes(presented));
    if (!grant || grant.revoked) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } };
    // The presented token becomes the previous one; anything issued after it (never used) is dropped.
    this.retireOlder(grant, presented);
    grant.refreshTokens.splice(1);
    const refreshToken = `sbrt_${randomBytes(16).toString('hex')}`;
    grant.refreshTokens.push(refreshToken);
    const accessToken = `sbat_${randomBytes(16).toString('hex')}`;
    const ttl = this.options.accessTokenTtlSec ?? 3599;
    this.accessTokens.set(accessToken, { grant, refreshToken, expiresAt: this.clock().getTime() + ttl * 1000 });
    this.refreshes += 1;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ttl,
        refresh_token: refreshToken,
        scope: (this.options.scopes ?? DEFAULT_SCOPES).join(' '),
        api_domain: this.apiDomain(),
      },
    };
  }

  /** POST /oauth/revoke */
  revoke(authorization: string | undefined, form: URLSearchParams): OAuthReply {
    if (!this.clientOk(authorization)) return { status: 401, body: { error: 'invalid_client' } };
    const token = form.get('token') ?? '';
    const grant = this.grants.find((g) => g.refreshTokens.includes(token)) ?? this.accessTokens.get(token)?.grant;
    if (grant) grant.revoked = true;
    return { status: 200, body: { success: true } };
  }
}

export const DEFAULT_SCOPES = ['base', 'deals:read', 'contacts:full', 'activities:full', 'users:read', 'admin'] as const;
