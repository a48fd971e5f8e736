import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError } from '../../../src/config/config-error.js';
import { configSecrets, parseConfig, parsePolicy, unknownCadenceVariables } from '../../../src/config/load-config.js';
import { EnvSchema } from '../../../src/config/env-schema.js';

const shipped = readFileSync('config/policy.yaml', 'utf8');
const goodEnv = { PIPEDRIVE_API_TOKEN: 'tok_secret_123456', PIPEDRIVE_COMPANY_DOMAIN: 'acme' };

/** The parsed YAML document, edited freely by path in the cases below (typing each path would be noise). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PolicyDoc = Record<string, any>;

/** The shipped policy with one value replaced at a path. */
function policyWith(mutate: (p: PolicyDoc) => void): string {
  const doc = parse(shipped) as PolicyDoc;
  mutate(doc);
  return stringify(doc);
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('the shipped policy', () => {
  it('parses and encodes the docs/policy.md defaults', () => {
    const p = parsePolicy(shipped, 'config/policy.yaml');
    expect(p.locale).toBe('pt-BR');
    expect(p.timeZone).toBe('America/Sao_Paulo');
    expect(p.tiers.map((t) => [t.level, t.minRevenue12m])).toEqual([[1, 0], [2, 50_000], [3, 200_000], [4, 1_000_000]]);
    expect(p.tiers[3]?.minTenureYears).toBe(5);
    const cadence = Object.fromEntries(p.tiers.map((t) => [t.level, Object.fromEntries(Object.entries(t.cadence).map(([k, v]) => [k, v.days]))]));
    expect(cadence).toEqual({
      1: { operational: 14, maintenance: 365 },
      2: { operational: 30, strategic: 90, maintenance: 180 },
      3: { operational: 7, strategic: 30, qbr: 90, 'annual-planning': 365, maintenance: 90, onboarding: 90, 'executive-events': 180 },
      4: { operational: 7, strategic: 14, qbr: 90, 'annual-planning': 365, maintenance: 60, onboarding: 90, 'executive-events': 180 },
    });
    // docs/policy.md §10.3: one category per touchpoint, in this order; §10.4: the new-client rule
    expect([p.categories.order, p.categories.overlap]).toEqual([['executive', 'strategic', 'operational', 'maintenance'], false]);
    expect(p.categories.strategic.fupActivityType).toEqual({ keyString: 'fup', name: 'FUP' });
    expect(p.categories.operational.match.every((m) => m.openDeal === true)).toBe(true);
    expect(p.cadenceRules.onboarding).toMatchObject({
      kind: 'onboarding',
      category: 'strategic',
      onGap: 'create',
      label: { 'pt-BR': 'Estabelecer a cadência de comunicação', en: 'Establish the communication cadence' },
    });
    expect([p.texts['pt-BR'].report.problem_held_without_notes, p.texts.en.report.problem_held_without_notes]).toEqual(['FUP sem registro', 'FUP held without notes']);
    expect(p.cadenceRules.qbr?.kind).toBe('cadence');
    expect(p.tiers.every((t) => t.cadence.operational?.activeOnly === true)).toBe(true);
    expect(p.cadenceRules.operational?.onGap).toBe('report');
    expect(p.cadenceRules['executive-events']).toMatchObject({ category: 'executive', onGap: 'report' }); // docs/policy.md §10.5
    expect(p.accountCare).toEqual({
      minTier: 3,
      satisfaction: { scoreField: 'NPS', dateField: 'NPS date', maxAgeDays: 180, detractorMax: 6 },
      executiveSponsorField: 'Executive sponsor',
      accountPlan: { reviewedField: 'Account plan reviewed', maxAgeDays: 90, reminderMinTier: 3, activityType: 'task' },
    });
    expect(p.handover).toEqual({ activityType: 'task', previousOwnerDays: 90, lastTouchpoints: 5 });
    expect(p.stakeholderChanges).toEqual({ riskDays: 90 });
    expect(['strategic', 'qbr', 'annual-planning', 'maintenance'].map((r) => p.cadenceRules[r]?.onGap)).toEqual(['create', 'create', 'create', 'create']);
    expect(p.status.dueSoonDays).toBe(7);
    expect(p.renewal.windowDays).toBe(180);
    expect(p.escalation.afterDays).toBe(7);
    expect(p.keyAccount.minTier).toBe(3);
    expect(p.risks.collisionUsers).toBe(3);
    for (const kind of ['fup', 'qbr', 'planning', 'maintenance', 'renewal'] as const) {
      expect(p.texts.en.checklists[kind].items.length).toBe(p.texts['pt-BR'].checklists[kind].items.length);
    }
    expect(p.reminders.createForTiers).toEqual([3, 4]);
  });

  it('ships the same template keys in Portuguese and English', () => {
    const p = parsePolicy(shipped, 'config/policy.yaml');
    expect(Object.keys(p.texts.en).sort()).toEqual(Object.keys(p.texts['pt-BR']).sort());
    expect(Object.keys(p.texts.en.report).sort()).toEqual(Object.keys(p.texts['pt-BR'].report).sort());
    for (const group of ['status', 'trend', 'dataQuality', 'findings', 'risks', 'tierRules', 'healthParts'] as const) {
      expect(Object.keys(p.texts.en[group]).sort(), group).toEqual(Object.keys(p.texts['pt-BR'][group]).sort());
    }
  });
});

describe('bad policy values name the file, the key path and what was expected', () => {
  const cases: Array<[string, (p: PolicyDoc) => void, string]> = [
    ['a word where days are expected', (p) => (p.tiers[2].cadence.strategic.days = 'monthly'), 'config/policy.yaml: tiers[2].cadence.strategic.days: expected a positive integer, got "monthly"'],
    ['zero days', (p) => (p.tiers[0].cadence.maintenance.days = 0), 'config/policy.yaml: tiers[0].cadence.maintenance.days: expected a positive integer, got 0'],
    ['an unknown cadence rule', (p) => (p.tiers[1].cadence.weekly = { days: 7 }), 'config/policy.yaml: tiers[1].cadence.weekly: unknown cadence rule "weekly"'],
    ['a bad time zone', (p) => (p.timeZone = 'Mars/Base'), 'config/policy.yaml: timeZone: expected an IANA time zone like America/Sao_Paulo, got "Mars/Base"'],
    ['an unknown locale', (p) => (p.locale = 'fr'), 'config/policy.yaml: locale:'],
    ['a broken regular expression', (p) => (p.categories.executive.match[0].subjectPattern = '(QBR'), 'config/policy.yaml: categories.executive.match[0].subjectPattern: expected a valid regular expression'],
    ['a missing fallback user', (p) => delete p.owners.fallbackUser, 'config/policy.yaml: owners.fallbackUser:'],
    ['a fallback user that is neither e-mail nor id', (p) => (p.owners.fallbackUser = 'Maria'), 'config/policy.yaml: owners.fallbackUser: expected a user e-mail or a positive user id'],
    ['an invalid gap action', (p) => (p.cadenceRules.strategic.onGap = 'email-the-client'), 'config/policy.yaml: cadenceRules.strategic.onGap:'],
    ['a tier option pointing at no tier', (p) => (p.tierField.options['Tier 9'] = 9), 'config/policy.yaml: tierField.options.Tier 9: no tier with level 9'],
    ['a currency that is not ISO 4217', (p) => (p.currency = 'reais'), 'config/policy.yaml: currency: expected an ISO 4217 currency code like BRL, got "reais"'],
    ['a missing English template', (p) => delete p.texts.en.followUpSubject, 'config/policy.yaml: texts.en.followUpSubject:'],
    ['a finding problem without a Portuguese template', (p) => delete p.texts['pt-BR'].findings.invalid_email, 'config/policy.yaml: texts.pt-BR.findings.invalid_email: missing; expected a non-empty string'],
    ['a risk kind without an English template', (p) => delete p.texts.en.risks.recent_loss, 'config/policy.yaml: texts.en.risks.recent_loss: missing; expected a non-empty string'],
    [
      'a template with a placeholder its record does not carry',
      (p) => (p.texts['pt-BR'].risks.stakeholder_at_risk = 'Em risco: {person}'),
      'config/policy.yaml: texts.pt-BR.risks.stakeholder_at_risk: unknown placeholder {person}: this text can use {persons}, {count}',
    ],
    [
      'a placeholder in a text that takes none',
      (p) => (p.texts.en.healthParts.falling_engagement = 'Falling ({trend})'),
      'config/policy.yaml: texts.en.healthParts.falling_engagement: unknown placeholder {trend}: this text takes no placeholders',
    ],
  ];
  it.each(cases)('%s', (_name, mutate, expected) => {
    const problems = problemsOf(() => parsePolicy(policyWith(mutate), 'config/policy.yaml'));
    expect(problems.some((m) => m.startsWith(expected)), `got:\n${problems.join('\n')}`).toBe(true);
  });

  it('lists every bad key in one error', () => {
    const problems = problemsOf(() =>
      parsePolicy(
        policyWith((p) => {
          p.tiers[2].cadence.strategic.days = 'monthly';
          p.status.dueSoonDays = -1;
        }),
        'config/policy.yaml',
      ),
    );
    expect(problems).toHaveLength(2);
  });

  it('refuses a misspelt key, naming its path and the key it most likely meant', () => {
    expect(problemsOf(() => parsePolicy(policyWith((p) => (p.status = { dueSoonDay: 0 })), 'config/policy.yaml'))).toEqual([
      'config/policy.yaml: status.dueSoonDay: unknown key; did you mean "dueSoonDays"?',
    ]);
    expect(problemsOf(() => parsePolicy(policyWith((p) => (p.activeClientWindowDay = 90)), 'config/policy.yaml'))).toEqual([
      'config/policy.yaml: activeClientWindowDay: unknown key; did you mean "activeClientWindowDays"?',
    ]);
    expect(problemsOf(() => parsePolicy(policyWith((p) => (p.tiers[2].cadence.strategic.activeOnlly = true)), 'config/policy.yaml'))).toEqual([
      'config/policy.yaml: tiers[2].cadence.strategic.activeOnlly: unknown key; did you mean "activeOnly"?',
    ]);
    expect(problemsOf(() => parsePolicy(policyWith((p) => (p.writes.colour = 'blue')), 'config/policy.yaml'))).toEqual([
      'config/policy.yaml: writes.colour: unknown key (valid keys here: maxWrites); remove it or fix its spelling',
    ]);
  });

  it('says in one sentence that the file is empty or a section is missing', () => {
    expect(problemsOf(() => parsePolicy('', 'p.yaml'))).toEqual([
      'p.yaml: the file is empty; it must hold the settings as YAML keys (start from a copy of the shipped file)',
    ]);
    expect(problemsOf(() => parsePolicy('# only a comment\n', 'p.yaml'))).toHaveLength(1);
    expect(problemsOf(() => parsePolicy(policyWith((p) => delete p.cadenceRules), 'p.yaml'))).toEqual([
      'p.yaml: cadenceRules: this section is missing; add it (the shipped file has every section with its defaults)',
    ]);
  });

  it('reports YAML syntax errors with the line', () => {
    const problems = problemsOf(() => parsePolicy('version: 1\ntiers: [\n', 'x.yaml'));
    expect(problems[0]).toMatch(/^x\.yaml: not valid YAML \(line \d+, column \d+\)/);
  });
});

describe('environment', () => {
  it('resolves a company domain to its base URL and keeps the policy defaults', () => {
    const cfg = parseConfig({ env: goodEnv, policyText: shipped });
    expect(cfg.pipedrive.baseUrl).toBe('https://acme.pipedrive.com');
    expect(cfg.companyId).toBe('acme');
    expect(cfg.maxWrites).toBe(500);
    expect(cfg.stateUrl).toBe('sqlite://./data/cadence.sqlite');
    expect(cfg.schedule).toBe('0 2 * * *');
    expect(cfg.dryRun).toBe(false);
  });

  it('lets environment and flags override in that order', () => {
    const cfg = parseConfig({
      env: { ...goodEnv, PIPEDRIVE_BASE_URL: 'http://127.0.0.1:8787/', CADENCE_MAX_WRITES: '20', CADENCE_DRY_RUN: 'true', CADENCE_TIME_ZONE: 'UTC' },
      policyText: shipped,
      overrides: { maxWrites: 5 },
    });
    expect(cfg.pipedrive.baseUrl).toBe('http://127.0.0.1:8787');
    expect(cfg.maxWrites).toBe(5);
    expect(cfg.dryRun).toBe(true);
    expect(cfg.policy.timeZone).toBe('UTC');
  });

  it('says how to fix a missing token', () => {
    const problems = problemsOf(() => parseConfig({ env: { PIPEDRIVE_COMPANY_DOMAIN: 'acme' }, policyText: shipped }));
    expect(problems).toEqual([expect.stringMatching(/^environment: PIPEDRIVE_API_TOKEN: missing: set it to your Pipedrive API token/)]);
  });

  it('names each bad variable and never echoes the token', () => {
    const token = 'tok_very_secret_value';
    const problems = problemsOf(() =>
      parseConfig({
        env: { PIPEDRIVE_API_TOKEN: token, PIPEDRIVE_BASE_URL: 'not a url', CADENCE_STATE_URL: 'mysql://x', CADENCE_CONCURRENCY: 'many', LOG_LEVEL: 'loud' },
        policyText: shipped,
      }),
    );
    expect(problems.map((m) => m.split(':')[1]?.trim())).toEqual(
      expect.arrayContaining(['PIPEDRIVE_BASE_URL', 'CADENCE_STATE_URL', 'CADENCE_CONCURRENCY', 'LOG_LEVEL']),
    );
    expect(problems.join('\n')).not.toContain(token);
  });

  it('reads the status token and the secret key ring, and refuses weak or malformed ones without echoing them', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const old = Buffer.alloc(32, 9).toString('base64');
    const cfg = parseConfig({
      env: { ...goodEnv, CADENCE_STATUS_ADDR: '9464', CADENCE_STATUS_TOKEN: 'a'.repeat(32), CADENCE_SECRET_KEY: key, CADENCE_SECRET_KEY_PREVIOUS: ` ${old} ,` },
      policyText: shipped,
    });
    expect(cfg.statusAddr).toBe('9464');
    expect(cfg.statusToken).toBe('a'.repeat(32));
    expect(cfg.secretKeys).toEqual({ current: key, previous: [old] });
    expect(parseConfig({ env: goodEnv, policyText: shipped }).secretKeys).toEqual({ previous: [] });

    const shortToken = 'short-token';
    const badKey = Buffer.alloc(16, 1).toString('base64');
    const problems = problemsOf(() =>
      parseConfig({
        env: { ...goodEnv, CADENCE_STATUS_TOKEN: shortToken, CADENCE_SECRET_KEY: badKey, CADENCE_SECRET_KEY_PREVIOUS: `${key},not-a-key`, CADENCE_STATUS_ADDR: 'localhost' },
        policyText: shipped,
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^environment: CADENCE_STATUS_ADDR: expected host:port/),
      expect.stringMatching(/^environment: CADENCE_STATUS_TOKEN: expected at least 16 characters/),
      expect.stringMatching(/^environment: CADENCE_SECRET_KEY: expected 32 random bytes in base64/),
      expect.stringMatching(/^environment: CADENCE_SECRET_KEY_PREVIOUS: expected one or more comma-separated keys/),
    ]);
    for (const secret of [shortToken, badKey, key]) expect(problems.join('\n')).not.toContain(secret);
    const spaced = problemsOf(() => parseConfig({ env: { ...goodEnv, CADENCE_STATUS_TOKEN: 'a long token with spaces in it' }, policyText: shipped }));
    expect(spaced).toEqual([expect.stringMatching(/^environment: CADENCE_STATUS_TOKEN: expected no spaces/)]);
  });

  it('refuses a CADENCE_* variable it does not know, naming the one it most likely meant', () => {
    expect(problemsOf(() => parseConfig({ env: { ...goodEnv, CADENCE_SCHEDUL: '0 3 * * *', CADENCE_DRYRUN: 'true' }, policyText: shipped }))).toEqual([
      'environment: CADENCE_SCHEDUL: unknown variable; did you mean "CADENCE_SCHEDULE"?; rename or remove it',
      'environment: CADENCE_DRYRUN: unknown variable; did you mean "CADENCE_DRY_RUN"?; rename or remove it',
    ]);
    expect(problemsOf(() => parseConfig({ env: { ...goodEnv, CADENCE_WHATEVER: 'x' }, policyText: shipped }))).toEqual([
      'environment: CADENCE_WHATEVER: unknown variable; the variables are listed in .env.example; rename or remove it',
    ]);
  });

  it('knows every variable of the environment schema, including ones added later', () => {
    // Every CADENCE_* key of the schema is accepted as it is: the list is not kept by hand.
    const every = Object.fromEntries(Object.keys(EnvSchema.shape).filter((k) => k.startsWith('CADENCE_')).map((k) => [k, '']));
    expect(Object.keys(every).length).toBeGreaterThan(10);
    expect(unknownCadenceVariables({ ...every, CADENCE_LOCK_TTL_MS: '5000' })).toEqual([]);
  });

  it('reads the webhook URL and listen address, and refuses the status server\'s port or a non-http URL', () => {
    const cfg = parseConfig({ env: { ...goodEnv, CADENCE_WEBHOOK_URL: 'https://cadence.example.com', CADENCE_WEBHOOK_ADDR: '127.0.0.1:8788', CADENCE_STATUS_ADDR: '9464' }, policyText: shipped });
    expect(cfg.webhookUrl).toBe('https://cadence.example.com');
    expect(cfg.webhookAddr).toBe('127.0.0.1:8788');
    expect(problemsOf(() => parseConfig({ env: { ...goodEnv, CADENCE_WEBHOOK_ADDR: '0.0.0.0:9464', CADENCE_STATUS_ADDR: '127.0.0.1:9464' }, policyText: shipped }))).toEqual([
      expect.stringMatching(/^environment: CADENCE_WEBHOOK_ADDR: the webhook receiver needs its own port/),
    ]);
    expect(problemsOf(() => parseConfig({ env: { ...goodEnv, CADENCE_WEBHOOK_URL: 'ftp://x.example.com' }, policyText: shipped }))).toEqual([
      expect.stringMatching(/^environment: CADENCE_WEBHOOK_URL: expected the public base URL/),
    ]);
  });

  it('reports environment and policy problems together', () => {
    const problems = problemsOf(() => parseConfig({ env: { LOG_LEVEL: 'loud', PIPEDRIVE_COMPANY_DOMAIN: 'acme', PIPEDRIVE_API_TOKEN: 'x' }, policyText: 'version: 2' }));
    expect(problems.some((m) => m.startsWith('environment: LOG_LEVEL'))).toBe(true);
    expect(problems.some((m) => m.startsWith('config/policy.yaml: version: expected 1'))).toBe(true);
  });
});

describe('an OAuth app install from the environment', () => {
  const app = {
    PIPEDRIVE_COMPANY_DOMAIN: 'acme',
    PIPEDRIVE_OAUTH_CLIENT_ID: 'client-1',
    PIPEDRIVE_OAUTH_CLIENT_SECRET: 'secret-XYZ-987',
    PIPEDRIVE_OAUTH_REFRESH_TOKEN: 'refresh-ABC-654',
    CADENCE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  it('needs no API token: client id, secret and refresh token make the connection', () => {
    const cfg = parseConfig({ env: app, policyText: shipped });
    expect(cfg.pipedrive.oauthApp).toEqual({ clientId: 'client-1', clientSecret: 'secret-XYZ-987', refreshToken: 'refresh-ABC-654' });
    expect(cfg.pipedrive.apiToken).toBeUndefined();
  });
  it('names the missing part, never echoing the secrets', () => {
    const problems = problemsOf(() => parseConfig({ env: { ...app, PIPEDRIVE_OAUTH_CLIENT_ID: undefined }, policyText: shipped }));
    expect(problems).toEqual([expect.stringMatching(/PIPEDRIVE_OAUTH_CLIENT_ID: missing: an OAuth app install needs the client id, the client secret and the refresh token together/)]);
    expect(problems.join('')).not.toMatch(/secret-XYZ|refresh-ABC/);
  });
  it('needs CADENCE_SECRET_KEY, because the rotated tokens are kept encrypted in the state store', () => {
    const problems = problemsOf(() => parseConfig({ env: { ...app, CADENCE_SECRET_KEY: undefined }, policyText: shipped }));
    expect(problems).toEqual([expect.stringMatching(/^environment: CADENCE_SECRET_KEY: missing: an OAuth app install keeps its rotated tokens .*openssl rand -base64 32/)]);
  });
  it('censors the client secret and the refresh token in every log line', () => {
    const cfg = parseConfig({ env: app, policyText: shipped });
    expect(configSecrets(cfg)).toEqual(expect.arrayContaining(['secret-XYZ-987', 'refresh-ABC-654']));
  });
});

describe('a short policy: extends: default', () => {
  const short = readFileSync('config/examples/short-policy.yaml', 'utf8');
  const base = parsePolicy(shipped, 'config/policy.yaml');

  it('the shipped example is under 40 lines and changes tier thresholds and cadences; the rest is the default', () => {
    expect(short.split('\n').filter((l) => l.trim() !== '').length).toBeLessThan(40);
    const p = parsePolicy(short, 'short.yaml');
    expect(p.tiers.map((t) => [t.level, t.minRevenue12m, t.minTenureYears])).toEqual([[1, 0, 0], [2, 30_000, 0], [3, 150_000, 2], [4, 800_000, 3]]);
    const days = (level: number) => Object.fromEntries(Object.entries(p.tiers.find((t) => t.level === level)!.cadence).map(([k, v]) => [k, v.days]));
    expect(days(2)).toEqual({ operational: 30, strategic: 60 });
    expect(days(3)).toEqual({ operational: 7, strategic: 21, qbr: 120, 'annual-planning': 365, maintenance: 90, onboarding: 90, 'executive-events': 180 });
    expect(days(4).strategic).toBe(7);
    expect(p.tiers[2]!.cadence.operational!.activeOnly).toBe(true);
    expect(p.locale).toBe('en');
    expect(p.status.dueSoonDays).toBe(5);
    expect(p.followUp.holidays).toEqual(['2026-12-24', '2026-12-25', '2026-12-31', '2027-01-01']); // a list replaces
    expect(p.cadenceRules.maintenance).toEqual({ ...base.cadenceRules.maintenance, onGap: 'report' });
    expect(p.texts).toEqual(base.texts);
    expect(p.flags).toEqual(base.flags);
    expect(p.categories).toEqual(base.categories);
  });

  it('a typo in a short policy is still caught, with its path in the short file', () => {
    expect(problemsOf(() => parsePolicy('version: 1\nextends: default\ntiers:\n  - level: 3\n    minRevenue: 100000\n', 'short.yaml'))).toEqual([
      'short.yaml: tiers[level 3].minRevenue: unknown key; did you mean "minRevenue12m"?',
    ]);
  });

  it('extends names the shipped default only', () => {
    expect(problemsOf(() => parsePolicy('version: 1\nextends: acme\n', 'short.yaml'))).toEqual(['short.yaml: extends: expected "default" (the shipped policy), got "acme"']);
  });
});
