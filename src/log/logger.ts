/**
 * Structured logging with pino. The API token is redacted by path and, as a last line of defence,
 * by value: any string that contains a registered secret is censored before it is written.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'apiToken',
  'token',
  'accessToken',
  '*.apiToken',
  '*.token',
  'headers["x-api-token"]',
  'headers.authorization',
  'headers.Authorization',
  '*.headers["x-api-token"]',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.headers["x-api-token"]',
  'PIPEDRIVE_API_TOKEN',
  'PIPEDRIVE_OAUTH_ACCESS_TOKEN',
  'CADENCE_STATUS_TOKEN',
  'CADENCE_SECRET_KEY',
  'CADENCE_SECRET_KEY_PREVIOUS',
  'refreshToken',
  'refresh_token',
  'access_token',
  'secret',
  'password',
  '*.refreshToken',
  '*.refresh_token',
  '*.access_token',
  '*.accessToken',
  '*.secret',
  '*.password',
];

export interface LoggerOptions {
  level?: string;
  /** Secrets whose values must never be written, wherever they appear. */
  secrets?: readonly string[];
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function censorSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  return out;
}

export function createLogger({ level = 'info', secrets = [], destination, base }: LoggerOptions = {}): Logger {
  const dest = destination ?? pino.destination({ dest: 2, sync: true });
  const live = secrets.filter((s) => s.length >= 4);
  const guarded: DestinationStream =
    live.length === 0 ? dest : { write: (line: string) => dest.write(censorSecrets(line, live)) };
  return pino(
    {
      level,
      base: base ?? null,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    guarded,
  );
}
