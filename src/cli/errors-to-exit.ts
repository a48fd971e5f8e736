/**
 * Maps an error that reached the top of a command to what the user reads and the exit code.
 * Messages say what to fix; stacks only at debug level; never a token (the logger censors it anyway).
 */
import { ConfigError } from '../config/config-error.js';

/**
 * One meaning per code, the same for every command (README "Exit codes"):
 * 0 done; 1 failed (a company's run, an unexpected error); 2 configuration (environment, policy, flags);
 * 3 credentials rejected by Pipedrive; 4 daily API budget exhausted (checkpoint kept); 5 plan larger than
 * the write cap, nothing written; 6 the work was done but its report could not be written; 70 internal error
 * (an unhandled rejection or uncaught exception, caught by the last line of defence, src/ops/last-defence.ts);
 * 130 interrupted.
 */
export const EXIT = { ok: 0, failed: 1, config: 2, auth: 3, budget: 4, refused: 5, report: 6, internal: 70, interrupted: 130 } as const;

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
