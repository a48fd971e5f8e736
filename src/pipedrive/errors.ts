/**
 * One error class per intent (STYLE.md habit 3). Every error carries `status`, `method` and `path` (never
 * headers, query tokens or bodies we sent) and keeps the original as `cause`; the message says what to fix.
 */

import type { ErrorKind } from '../domain/errors.js';

export interface RequestInfo {
  method: string;
  /** URL path without query string, e.g. `/api/v2/deals`. */
  path: string;
  status?: number;
  /** Pipedrive's own `error` text from the JSON envelope, when there was one (PIPEDRIVE.md §7). */
  providerMessage?: string;
}

export class PipedriveError extends Error {
  override name = 'PipedriveError';
  /** What kind of failure this is (src/domain/errors.ts); the subclasses narrow it. */
  readonly kind: ErrorKind = 'error';
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly providerMessage: string | undefined;

  constructor(message: string, info: RequestInfo, options?: { cause?: unknown }) {
    super(message, options);
    this.method = info.method;
    this.path = info.path;
    this.status = info.status;
    this.providerMessage = info.providerMessage;
  }
}

/** 401: the credentials were rejected. Never retried. */
export class PipedriveAuthError extends PipedriveError {
  override name = 'PipedriveAuthError';
  override readonly kind: ErrorKind = 'auth';
}

/** 403: either an account permission/limit (JSON) or a Cloudflare block (HTML) after ignoring 429s. */
export class PipedriveForbiddenError extends PipedriveError {
  override name = 'PipedriveForbiddenError';
  override readonly kind: ErrorKind = 'forbidden';
  readonly cloudflare: boolean;
  constructor(message: string, info: RequestInfo, cloudflare: boolean, options?: { cause?: unknown }) {
    super(message, info, options);
    this.cloudflare = cloudflare;
  }
}

/** 404 / 410: the record is gone or not visible to this token. */
export class PipedriveNotFoundError extends PipedriveError {
  override name = 'PipedriveNotFoundError';
}

/** 400 / 422 and other 4xx: the request itself is wrong (v2 strict validation, PIPEDRIVE.md §11.7). */
export class PipedriveRequestError extends PipedriveError {
  override name = 'PipedriveRequestError';
}

/** 429 for the 2-second burst window, still failing after every retry. */
export class PipedriveRateLimitError extends PipedriveError {
  override name = 'PipedriveRateLimitError';
  override readonly kind: ErrorKind = 'rate-limit';
}

/**
 * The company's daily token budget is spent (PIPEDRIVE.md §6.2): retrying only hammers the wall and risks a
 * Cloudflare 403. The run stops early, keeps its checkpoint and resumes after the budget resets.
 */
export class DailyBudgetExhaustedError extends PipedriveError {
  override name = 'DailyBudgetExhaustedError';
  override readonly kind: ErrorKind = 'budget';
  readonly dailyLimit: number | undefined;
  readonly dailyRemaining: number | undefined;
  constructor(message: string, info: RequestInfo, budget: { dailyLimit?: number; dailyRemaining?: number }, options?: { cause?: unknown }) {
    super(message, info, options);
    this.dailyLimit = budget.dailyLimit;
    this.dailyRemaining = budget.dailyRemaining;
  }
}

/** 5xx after every retry. */
export class PipedriveServerError extends PipedriveError {
  override name = 'PipedriveServerError';
  override readonly kind: ErrorKind = 'outage';
}

/** Timeout or dropped connection after every retry. */
export class PipedriveNetworkError extends PipedriveError {
  override name = 'PipedriveNetworkError';
  override readonly kind: ErrorKind = 'network';
  readonly code: string | undefined;
  constructor(message: string, info: RequestInfo, code: string | undefined, options?: { cause?: unknown }) {
    super(message, info, options);
    this.code = code;
  }
}

/** A 2xx response whose body is not the JSON envelope we expect (truncated, HTML, wrong shape). */
export class MalformedResponseError extends PipedriveError {
  override name = 'MalformedResponseError';
}

/**
 * A create (POST) timed out, lost its connection or got a 5xx: Pipedrive may or may not have created the
 * record, and it has no idempotency keys (PIPEDRIVE.md §11.9). Not retried: the caller must reconcile
 * (look for its provenance key among the client's activities) before creating again.
 */
export class AmbiguousWriteError extends PipedriveError {
  override name = 'AmbiguousWriteError';
}

/** The API sent back a cursor it already gave us: paging further would loop forever. */
export class RepeatedCursorError extends Error {
  override name = 'RepeatedCursorError';
  constructor(readonly path: string, readonly cursor: string) {
    super(`${path}: the API returned a cursor it had already returned; stopping to avoid an endless loop`);
  }
}
