/**
 * Maps an error that reached the top of a command to what the user reads and the exit code.
 * Messages say what to fix; stacks only at debug level; never a token (the logger censors it anyway).
 */
import { ConfigError } from '../config/config-error.js';

/** `internal`: an unhandled rejection or uncaught exception, caught by the last line of defence (src/ops/last-defence.ts). */
export const EXIT = { ok: 0, failed: 1, config: 2, auth: 3, budget: 4, refused: 5, internal: 70, interrupted: 130 } as const;

export interface ExitDecision {
  code: number;
  message: string;
}

export function describeFailure(err: unknown): ExitDecision {
  if (err instanceof ConfigError) return { code: EXIT.config, message: `configuration: ${err.message}` };
  const e = err as { name?: string; message?: string };
  switch (e?.name) {
    case 'PipedriveAuthError':
    case 'PipedriveForbiddenError':
      return { code: EXIT.auth, message: e.message ?? 'Pipedrive refused the credentials' };
    case 'DailyBudgetExhaustedError':
      return { code: EXIT.budget, message: e.message ?? "Pipedrive's daily API token budget is exhausted" };
    case 'WriteCapExceededError':
      return { code: EXIT.refused, message: e.message ?? 'the plan exceeds the write cap' };
    case 'AbortError':
      return { code: EXIT.interrupted, message: 'interrupted' };
    default:
      return { code: EXIT.failed, message: e?.message ?? String(err) };
  }
}
