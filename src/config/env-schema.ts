/**
 * Environment variables (documented one by one in .env.example). Parsed once, in the composition root.
 */
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number ≥ ${min}`)
    .transform(Number)
    .refine((n) => n >= min, `expected a whole number ≥ ${min}`);

/** A base64 (or base64url) string that decodes to exactly 32 bytes: an AES-256 key. */
export function isKey32(v: string): boolean {
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(v.trim())) return false;
  return Buffer.from(v.trim(), 'base64').length === 32;
}

export const EnvSchema = z
  .object({
    PIPEDRIVE_API_TOKEN: z.string().min(1, 'expected the Pipedrive API token (Settings → Personal preferences → API)').optional(),
    PIPEDRIVE_OAUTH_ACCESS_TOKEN: z.string().min(1).optional(),
    /** An OAuth app install (Marketplace app): the worker refreshes its tokens and keeps them in the state store. */
    PIPEDRIVE_OAUTH_CLIENT_ID: z.string().min(1).optional(),
    PIPEDRIVE_OAUTH_CLIENT_SECRET: z.string().min(1).optional(),
    PIPEDRIVE_OAUTH_REFRESH_TOKEN: z.string().min(1).optional(),
    /** The OAuth server (default https://oauth.pipedrive.com; the sandbox's URL in tests). */
    PIPEDRIVE_OAUTH_HOST: z.url({ error: 'expected a URL like https://oauth.pipedrive.com' }).optional(),
    /** `acme` for https://acme.pipedrive.com */
    PIPEDRIVE_COMPANY_DOMAIN: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/i, 'expected the company subdomain, e.g. "acme" for https://acme.pipedrive.com')
      .optional(),
    /** Overrides the company domain: any Pipedrive-compatible server, e.g. the sandbox. */
    PIPEDRIVE_BASE_URL: z.url({ error: 'expected a URL like https://acme.pipedrive.com or http://127.0.0.1:8787' }).optional(),
    CADENCE_STATE_URL: z
      .string()
      .regex(/^(sqlite|redis|rediss|postgres|postgresql|memory):/, 'expected sqlite://<file>, redis://host:port, postgres://user@host/db or memory://')
      .default('sqlite://./data/cadence.sqlite'),
    CADENCE_POLICY_FILE: z.string().min(1).default('config/policy.yaml'),
    CADENCE_COMPANIES_FILE: z.string().min(1).optional(),
    CADENCE_TIME_ZONE: z.string().min(1).optional(),
    CADENCE_SCHEDULE: z.string().min(1).default('0 2 * * *'),
    CADENCE_REPORT_DIR: z.string().min(1).default('reports'),
    CADENCE_REPORT_RETENTION: int(1).default(30),
    CADENCE_DRY_RUN: bool.default(false),
    CADENCE_MAX_WRITES: int(1).optional(),
    /** Requests in flight at once (the pull's chains and the write-back's clients); the pacer keeps them under the burst limit. */
    CADENCE_CONCURRENCY: int(1).default(8),
    CADENCE_REQUEST_TIMEOUT_MS: int(100).default(30_000),
    CADENCE_RECONCILE_EVERY_DAYS: int(1).default(7),
    /** Most cursor chains one large list is read with at once (1: one chain per list, as before issue 15). */
    CADENCE_SYNC_CHAINS: int(1).default(4),
    /** Pages each chain must expect to read before a list is split (docs/performance.md, parallel chains). */
    CADENCE_SYNC_CHAIN_MIN_PAGES: int(1).default(16),
    /** Lease of a company's lock (renewed every third of it while a job runs). */
    CADENCE_LOCK_TTL_MS: int(3000).optional(),
    /** host:port, or a bare port bound to 127.0.0.1. */
    CADENCE_STATUS_ADDR: z
      .string()
      .regex(/^(?:[^:]+:\d+|:?\d+|\[[0-9a-fA-F:]+\]:\d+)$/, 'expected host:port (e.g. 127.0.0.1:9464, or 0.0.0.0:9464 with CADENCE_STATUS_TOKEN set) or a port')
      .optional(),
    /** Bearer token for /metrics and /reports/* of the status server; without it those routes are off. */
    CADENCE_STATUS_TOKEN: z
      .string()
      .min(16, 'expected at least 16 characters: use a long random value, e.g. the output of `openssl rand -hex 32`')
      .regex(/^\S+$/, 'expected no spaces: use a long random value, e.g. the output of `openssl rand -hex 32`')
      .optional(),
    /** 32 random bytes in base64 (`openssl rand -base64 32`): encrypts secrets kept in the state store. */
    CADENCE_SECRET_KEY: z
      .string()
      .refine(isKey32, 'expected 32 random bytes in base64 (44 characters), e.g. the output of `openssl rand -base64 32`')
      .optional(),
    /** Older keys, comma-separated, still accepted for reading while `cadence rotate-key` re-encrypts under the current one. */
    CADENCE_SECRET_KEY_PREVIOUS: z
      .string()
      .refine(
        (v) => v.split(',').every((k) => k.trim() === '' || isKey32(k.trim())),
        'expected one or more comma-separated keys, each 32 bytes in base64 (the former CADENCE_SECRET_KEY)',
      )
      .optional(),
    /** Public base URL Pipedrive posts webhooks to (`cadence setup --webhooks` registers <it>/webhooks/<company>). */
    CADENCE_WEBHOOK_URL: z
      .url({ protocol: /^https?$/, error: 'expected the public base URL of the webhook receiver, e.g. https://cadence.example.com' })
      .optional(),
    /** host:port (or a port on 127.0.0.1) the webhook receiver listens on; never the status server's. */
    CADENCE_WEBHOOK_ADDR: z
      .string()
      .regex(/^(?:[^:]+:\d+|:?\d+|\[[0-9a-fA-F:]+\]:\d+)$/, 'expected host:port (e.g. 127.0.0.1:8788) or a port')
      .optional(),
    /** Background processing of webhook events: a batch starts after this long without a new event… */
    CADENCE_WEBHOOK_QUIET_MS: int(100).optional(),
    /** …and at the latest this long after the first event waiting. */
    CADENCE_WEBHOOK_MAX_DELAY_MS: int(100).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .loose();
export type Env = z.infer<typeof EnvSchema>;

/** Keys whose values never appear in an error message. */
export const SECRET_ENV_KEYS = [
  'PIPEDRIVE_API_TOKEN',
  'PIPEDRIVE_OAUTH_ACCESS_TOKEN',
  'PIPEDRIVE_OAUTH_CLIENT_SECRET',
  'PIPEDRIVE_OAUTH_REFRESH_TOKEN',
  'CADENCE_STATUS_TOKEN',
  'CADENCE_SECRET_KEY',
  'CADENCE_SECRET_KEY_PREVIOUS',
] as const;
