/**
 * Every word of the domain's vocabulary can be shown in every shipped language: a risk kind, finding
 * problem, write outcome or entity kind added to src/domain/ without its label (texts.<locale>.report) or
 * its template (texts.<locale>.risks / findings) fails here, instead of showing its raw key in a report.
 */
import { describe, expect, it } from 'vitest';
import { EntityKind } from '../../../src/domain/entities.js';
import { FINDING_PROBLEMS, RISK_KINDS, WRITE_OUTCOMES } from '../../../src/domain/vocabulary.js';
import { LOCALES } from '../../../src/i18n/locales.js';
import { createLabels } from '../../../src/report/report-labels.js';
import { loadShippedPolicy } from '../report/fixtures.js';

describe('the domain vocabulary has a label and a template in each shipped language', () => {
  const policy = loadShippedPolicy();

  it.each(LOCALES)('%s', (locale) => {
    const texts = policy.texts[locale];
    const L = createLabels(texts);
    const missing: string[] = [];
    for (const kind of RISK_KINDS) {
      if (!texts.report[`risk_${kind}`]?.trim()) missing.push(`report.risk_${kind}`);
      if (!texts.risks[kind]?.trim()) missing.push(`risks.${kind}`);
    }
    for (const problem of FINDING_PROBLEMS) {
      if (!texts.report[`problem_${problem}`]?.trim()) missing.push(`report.problem_${problem}`);
      if (!texts.findings[problem]?.trim()) missing.push(`findings.${problem}`);
    }
    for (const outcome of WRITE_OUTCOMES) if (!texts.report[`outcome_${outcome}`]?.trim()) missing.push(`report.outcome_${outcome}`);
    for (const entity of EntityKind.options) if (!texts.report[`entity_${entity}`]?.trim()) missing.push(`report.entity_${entity}`);
    expect(missing).toEqual([]);
    // And the labels are what the report shows (not the fallback key).
    expect(L.risk(RISK_KINDS[0])).not.toBe(`risk_${RISK_KINDS[0]}`);
    expect(L.outcome('created')).not.toBe('outcome_created');
  });

  it('a kind without a label would show: the check sees a missing one', () => {
    const texts = policy.texts.en;
    const { risk_stalled_deals: _dropped, ...rest } = texts.report;
    const L = createLabels({ ...texts, report: rest });
    expect(L.risk('stalled_deals')).toBe('risk_stalled_deals');
  });
});
