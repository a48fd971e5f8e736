import { describe, expect, it } from 'vitest';
import { createLabels, REPORT_LABEL_KEYS } from '../../../src/report/report-labels.js';
import { loadShippedPolicy } from './fixtures.js';
import { LOCALES } from '../../../src/i18n/locales.js';

describe('report labels', () => {
  const policy = loadShippedPolicy();

  it.each(LOCALES)('the shipped policy has every label the report uses in %s', (locale) => {
    const missing = REPORT_LABEL_KEYS.filter((k) => !policy.texts[locale].report[k]?.trim());
    expect(missing).toEqual([]);
  });

  it('falls back to the key for a label a custom policy leaves out', () => {
    const texts = { ...policy.texts.en, report: { title: 'My report' } };
    const L = createLabels(texts);
    expect(L('title')).toBe('My report');
    expect(L('findings')).toBe('findings');
    expect(L.problem('missing')).toBe('problem_missing');
    expect(L.status('overdue')).toBe('Overdue');
  });
});
