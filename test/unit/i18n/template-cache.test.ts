/**
 * fillTemplate keeps each template parsed (src/i18n/texts.ts); it must fill exactly as parsing on every call
 * (fillTemplateUncached, the implementation before the cache) for every template of the shipped policy in
 * both languages, and for the odd templates a policy author may write.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parsePolicy } from '../../../src/config/load-config.js';
import { LOCALES } from '../../../src/i18n/locales.js';
import { fillTemplate, fillTemplateUncached, type FillOptions } from '../../../src/i18n/texts.js';

const policy = parsePolicy(readFileSync('config/policy.yaml', 'utf8'), 'config/policy.yaml');

/** Every string under the value, with its path. */
function strings(value: unknown, path: string, out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, `${path}.${k}`, out);
  return out;
}

/** Values for every placeholder a template names, in a few shapes (numbers for plurals: 0, 1, 2, thousands, decimals). */
function valueSets(template: string): Record<string, string | number>[] {
  const names = [...new Set([...template.matchAll(/\{([A-Za-z0-9_]+)/g)].map((m) => m[1]!))];
  const fill = (v: (name: string) => string | number) => Object.fromEntries(names.map((n) => [n, v(n)]));
  return [
    {},
    fill((n) => `<${n} & "x">`),
    ...[0, 1, 2, 7, 1234, 1234.5, -1].map((x) => fill(() => x)),
    fill(() => '3'),
    fill(() => 'not a number'),
  ];
}

const OPTIONS: FillOptions[] = [{}, ...LOCALES.map((locale) => ({ locale })), { locale: 'pt-BR', formatNumber: (n) => `«${n}»` }];

describe('fillTemplate with parsed templates', () => {
  const templates = LOCALES.flatMap((locale) => strings(policy.texts[locale], `texts.${locale}`));

  it('the shipped policy has templates with placeholders and plurals in both languages', () => {
    for (const locale of LOCALES) {
      const own = templates.filter(([path]) => path.startsWith(`texts.${locale}.`)).map(([, t]) => t);
      expect(own.filter((t) => /\{[A-Za-z0-9_]+\}/.test(t)).length).toBeGreaterThan(20);
      expect(own.filter((t) => /, plural,/.test(t)).length).toBeGreaterThan(3);
    }
  });

  it('fills every template of the shipped policy as before, twice (the second time from the cache)', () => {
    let checked = 0;
    for (const [path, template] of templates) {
      for (const values of valueSets(template)) {
        for (const options of OPTIONS) {
          const expected = fillTemplateUncached(template, values, options);
          expect(fillTemplate(template, values, options), path).toBe(expected);
          expect(fillTemplate(template, values, options), path).toBe(expected);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it.each([
    ['nested plurals: # is the outer number everywhere', '{a, plural, one {# x {b, plural, one {# y} other {# ys}}} other {# xs {b, plural, one {# y} other {# ys}}}}'],
    ['a nested plural without its value stays visible, its # filled', '{a, plural, other {# and {missing, plural, other {# m}}}}'],
    ['=N before the language rule', '{a, plural, =0 {none} =1 {just one} one {#} other {# many}}'],
    ['a brace that is no placeholder, next to #', '{a, plural, other {{#} and #}}'],
    ['a stray brace before a placeholder', 'x { {a} } {b'],
    ['an unterminated plural', '{a, plural, one {# x} other {# y}'],
    ['a plural without other', '{a, plural, one {# x}}'],
    ['a bad selector with #', '{a, plural, =# {x} other {y}}'],
    ['empty', ''],
    ['no placeholders', 'plain text'],
    ['# outside a plural', '# {a} #'],
  ])('%s', (_label, template) => {
    // `{ a: 1, 1: … }`: once # is 1, "{#}" reads as the placeholder {1}, as it did before the cache.
    for (const values of [{}, { a: 0, b: 1 }, { a: 1, b: 2 }, { a: 2, b: 1 }, { a: 1234, b: 1234 }, { a: '1', b: 'x' }, { a: 'x' }, { a: 1, 1: 'one!' }] as Record<string, string | number>[]) {
      for (const options of OPTIONS) {
        const expected = fillTemplateUncached(template, values, options);
        expect(fillTemplate(template, values, options)).toBe(expected);
        expect(fillTemplate(template, values, options)).toBe(expected);
      }
    }
  });
});
