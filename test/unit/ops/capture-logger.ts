/** A real pino logger (createLogger) whose lines are kept for assertions. */
import { createLogger, type Logger } from '../../../src/log/logger.js';

export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown> & { level: number; msg: string }>;
  /** Messages at warn (40) or above. */
  problems(): string[];
}

export function captureLogger(secrets: readonly string[] = []): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const logger = createLogger({
    level: 'debug',
    secrets,
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines, problems: () => lines.filter((l) => l.level >= 40).map((l) => l.msg) };
}
