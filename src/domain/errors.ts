/**
 * What kind of failure an error is, decided by its class: each of the worker's error classes declares its
 * `kind` (src/pipedrive/errors.ts, src/config/config-error.ts, src/store/lock.ts, src/ops/shutdown.ts), so
 * exit codes, run records and metrics read one property instead of comparing class names. An error that
 * crosses a process or the store as data (the job outcome) carries its kind with it.
 */
export const ERROR_KINDS = ['auth', 'forbidden', 'budget', 'rate-limit', 'outage', 'network', 'config', 'lock-lost', 'aborted', 'error'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

const KINDS: ReadonlySet<string> = new Set(ERROR_KINDS);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT']);

function field(err: unknown, key: string): unknown {
  return err !== null && typeof err === 'object' ? (err as Record<string, unknown>)[key] : undefined;
}

/**
 * The error's kind: the one its class declares; for an error from elsewhere (axios, node, the platform's
 * AbortSignal), what its HTTP status or network code says; else `error`.
 */
export function errorKind(err: unknown): ErrorKind {
  const declared = field(err, 'kind');
  if (typeof declared === 'string' && KINDS.has(declared)) return declared as ErrorKind;
  if (typeof DOMException !== 'undefined' && err instanceof DOMException && err.name === 'AbortError') return 'aborted';
  const status = Number(field(err, 'status') ?? (field(field(err, 'response'), 'status') as number | undefined) ?? NaN);
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate-limit';
  if (status >= 500 && status <= 599) return 'outage';
  if (NETWORK_CODES.has(String(field(err, 'code') ?? ''))) return 'network';
  return 'error';
}
