/**
 * Why did a company's run fail? A pure function from the thrown error to a short kind (for counts and
 * metrics) and a one-line reason (for logs, the store and the report). The reason keeps the error's
 * name and message, which our errors already write without tokens (src/pipedrive/errors.ts); as a
 * last defence, anything shaped like a token parameter or a bearer credential is masked.
 */
import { errorKind } from '../domain/errors.js';

export const FAILURE_KINDS = ['auth', 'forbidden', 'rate-limit', 'outage', 'network', 'config', 'store', 'lock-lost', 'aborted', 'error'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface Failure {
  kind: FailureKind;
  reason: string;
}

const MAX_REASON = 400;
function field(err: unknown, key: string): unknown {
  return err !== null && typeof err === 'object' ? (err as Record<string, unknown>)[key] : undefined;
}

export function scrubSecrets(text: string): string {
  return text
    .replace(/(api_token|access_token|token)=([^&\s"']+)/gi, '$1=[REDACTED]')
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[REDACTED]')
    .replace(/(x-api-token["']?\s*[:=]\s*["']?)[^"',\s}]+/gi, '$1[REDACTED]');
}

/** The run record's kind of an error, from the kind its class declares (a spent daily budget is a rate limit here). */
function kindOf(err: unknown): FailureKind {
  const kind = errorKind(err);
  return kind === 'budget' ? 'rate-limit' : kind;
}

export function describeFailure(err: unknown): Failure {
  const kind = kindOf(err);
  let text: string;
  // Our own errors say what happened and what to fix; their class name adds nothing a reader can use
  // (the kind carries the category). An unexpected error keeps its name.
  if (err instanceof Error) text = kind !== 'error' && err.message ? err.message : `${err.name}: ${err.message}`;
  else if (typeof err === 'string') text = err;
  else {
    try {
      text = `non-error thrown: ${JSON.stringify(err)}`;
    } catch {
      text = 'non-error thrown';
    }
  }
  const status = field(err, 'status');
  if (typeof status === 'number' && !text.includes(String(status))) text += ` (HTTP ${status})`;
  const oneLine = scrubSecrets(text.replace(/\s*\n\s*/g, ' ').trim());
  return { kind, reason: oneLine.length > MAX_REASON ? `${oneLine.slice(0, MAX_REASON - 1)}…` : oneLine };
}
