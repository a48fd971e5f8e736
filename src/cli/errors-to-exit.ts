/**
 * Maps an error that reached the top of a command to what the user reads and the exit code.
 * Messages say what to fix; stacks only at debug level; never a token (the logger censors it anyway).
 */
import { errorKind } from '../domain/errors.js';

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
  const message = (err as { message?: string } | null)?.message;
  switch (errorKind(err)) {
    case 'config':
      return { code: EXIT.config, message: `configuration: ${message ?? String(err)}` };
    case 'auth':
    case 'forbidden':
      return { code: EXIT.auth, message: message ?? 'Pipedrive refused the credentials' };
    case 'budget':
      return { code: EXIT.budget, message: message ?? "Pipedrive's daily API token budget is exhausted" };
    case 'aborted':
      return { code: EXIT.interrupted, message: 'interrupted' };
    default:
      return { code: EXIT.failed, message: message ?? String(err) };
  }
}
