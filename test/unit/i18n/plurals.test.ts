/** Plural forms in the policy's templates: `{n, plural, one {…} other {…}}` chosen by Intl.PluralRules, pt-BR and en. */
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../src/config/config-error.js';
import { parsePolicy } from '../../../src/config/load-config.js';
import { createDescriber } from '../../../src/i18n/describe.js';
import { engagementLine } from '../../../src/plan/notes.js';
import type { OrgAssessment } from '../../../src/rules/types.js';
import { loadPolicy } from '../plan/fixtures.js';
import { fillTemplate } from '../../../src/i18n/texts.js';

describe('fillTemplate plural blocks', () => {
  const t = '{n, plural, =0 {nothing} one {# item} other {# items}} for {who}';
  it.each([
    [0, 'en', 'nothing for Ana'],
    [1, 'en', '1 item for Ana'],
    [2, 'en', '2 items for Ana'],
    [1234, 'en', '1,234 items for Ana'],
    [1234, 'pt-BR', '1.234 items for Ana'],
  ] as const)('%i (%s) → %s', (n, locale, expected) => {
    expect(fillTemplate(t, { n, who: 'Ana' }, { locale })).toBe(expected);
  });

  it('follows each language’s rules: in pt-BR 0 and 1 are "one", in en only 1', () => {
    const c = '{n, plural, one {# contato} other {# contatos}}';
    expect([0, 1, 2].map((n) => fillTemplate(c, { n }, { locale: 'pt-BR' }))).toEqual(['0 contato', '1 contato', '2 contatos']);
    expect([0, 1, 2].map((n) => fillTemplate(c, { n }, { locale: 'en' }))).toEqual(['0 contatos', '1 contato', '2 contatos']);
  });

  it('placeholders inside a branch are filled; a plural of a missing value stays visible', () => {
    expect(fillTemplate('{n, plural, one {# call with {who}} other {# calls with {who}}}', { n: 3, who: 'Bia' })).toBe('3 calls with Bia');
    expect(fillTemplate('{n, plural, one {#} other {#s}}', {})).toBe('{n, plural, one {#} other {#s}}');
  });
});

describe('the shipped texts say 1 in the singular', () => {
  const org = (count: number, breadth: number) => ({ engagement: { last4: count, previous4: 0, trend: 'stable', breadth, weeks: [] } }) as unknown as OrgAssessment;
  it('pt-BR: "1 contato", "1 pessoa contatada"; 2: plural', () => {
    const p = loadPolicy('pt-BR');
    expect(engagementLine(p, p.texts['pt-BR'], org(1, 1))).toBe('Engajamento: 1 contato nas últimas 4 semanas (Estável); 1 pessoa contatada em 90 dias.');
    expect(engagementLine(p, p.texts['pt-BR'], org(2, 3))).toBe('Engajamento: 2 contatos nas últimas 4 semanas (Estável); 3 pessoas contatadas em 90 dias.');
  });
  it('en: "1 touchpoint", "1 person reached"; 2: plural', () => {
    const p = loadPolicy('en');
    expect(engagementLine(p, p.texts.en, org(1, 1))).toBe('Engagement: 1 touchpoint in the last 4 weeks (Stable); 1 person reached in 90 days.');
    expect(engagementLine(p, p.texts.en, org(2, 3))).toBe('Engagement: 2 touchpoints in the last 4 weeks (Stable); 3 people reached in 90 days.');
  });
  it('run notices too: "1 registro malformado … foi ignorado"', () => {
    const p = loadPolicy('pt-BR');
    expect(createDescriber(p).notice({ code: 'malformed_skipped', params: { count: 1 } })).toMatch(/^1 registro malformado do Pipedrive foi ignorado;/);
    expect(createDescriber({ ...p, locale: 'en' }).notice({ code: 'malformed_skipped', params: { count: 2 } })).toMatch(/^2 malformed records from Pipedrive were skipped;/);
  });
  it('the policy refuses a plural on a value the text does not carry', () => {
    const doc = parse(readFileSync('config/policy.yaml', 'utf8')) as { texts: { en: { notices: Record<string, string> } } };
    doc.texts.en.notices.malformed_skipped = '{records, plural, one {# record} other {# records}} skipped';
    expect(() => parsePolicy(stringify(doc), 'p.yaml')).toThrow(ConfigError);
    expect(() => parsePolicy(stringify(doc), 'p.yaml')).toThrow(/texts\.en\.notices\.malformed_skipped: unknown placeholder \{records\}/);
  });
});
