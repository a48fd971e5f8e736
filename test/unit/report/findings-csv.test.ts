import { describe, expect, it } from 'vitest';
import { buildJsonReport } from '../../../src/report/build-json-report.js';
import { FINDINGS_CSV_COLUMNS, findingsCsvRow, parseCsv, parseFindingsCsv, renderFindingsCsv } from '../../../src/report/findings-csv.js';
import type { ReportFinding } from '../../../src/report/report-schema.js';
import { buildFixture } from './fixtures.js';

function findings(): ReportFinding[] {
  const fx = buildFixture();
  return buildJsonReport({ runId: 'r1', companyDomain: 'acme', ...fx }).dataQuality.findings;
}

describe('renderFindingsCsv', () => {
  it('writes a header and one row per finding, CRLF-terminated, without a byte-order mark', () => {
    const all = findings();
    const csv = renderFindingsCsv(all);
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    expect(csv.startsWith('entity,entity_id,entity_name,org_id,org_name,field,problem,detail,owner_id,owner_name,url\r\n')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(parseCsv(csv)).toHaveLength(all.length + 1);
  });

  it('parses back to exactly the same findings (quotes, commas, line breaks, Unicode, empty cells)', () => {
    const all = findings();
    expect(parseFindingsCsv(renderFindingsCsv(all))).toEqual(all.map(findingsCsvRow));
  });

  it("the detail column is the finding's sentence in the report's language, not the technical English detail", () => {
    const all = findings();
    const rows = parseFindingsCsv(renderFindingsCsv(all));
    expect(rows.map((r) => r.detail)).toEqual(all.map((f) => f.message));
    expect(rows.find((r) => r.field === 'Email')!.detail).toBe('Email: e-mail inválido (abra o registro para corrigir)');
    expect(rows.map((r) => r.detail).join('\n')).not.toMatch(/not a valid e-mail|no value|has no owner|not an option id/);
  });

  it('quotes per RFC 4180 and neutralises formulas for spreadsheets', () => {
    const csv = renderFindingsCsv(findings());
    expect(csv).toContain('"Ação & Cia — Ñandú 日本 ""Ltda"", filial"');
    expect(csv).toContain('"Service line: a opção ""999\nsecond line"" não existe (foi excluída?)"');
    // A deal titled =HYPERLINK(…) is shown as text, not evaluated.
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it('round-trips values that begin with an apostrophe or a formula character', () => {
    const base = findings()[0]!;
    const tricky = ["'=1+1", "'plain", "'", '-5 days', '@user', '+55 11 9999'].map((message, i) => ({ ...base, entityId: i + 1, message }));
    expect(parseFindingsCsv(renderFindingsCsv(tricky))).toEqual(tricky.map(findingsCsvRow));
  });

  it('writes only the header when there is nothing to fix', () => {
    expect(renderFindingsCsv([])).toBe(FINDINGS_CSV_COLUMNS.join(',') + '\r\n');
    expect(parseFindingsCsv(renderFindingsCsv([]))).toEqual([]);
  });
});

describe('parseCsv', () => {
  it('reads quoted fields with doubled quotes, commas and line breaks', () => {
    expect(parseCsv('a,"b ""q"", c","d\r\ne"\r\n1,,3\n')).toEqual([
      ['a', 'b "q", c', 'd\r\ne'],
      ['1', '', '3'],
    ]);
  });

  it('rejects malformed input with the line number', () => {
    expect(() => parseCsv('a,b"c\r\n')).toThrow(/line 1: a quote inside an unquoted field/);
    expect(() => parseCsv('a\r\n"open')).toThrow(/line 2: unterminated quoted field/);
    expect(() => parseCsv('"a"b')).toThrow(/unexpected character after a closing quote/);
  });

  it('rejects a findings file with another header', () => {
    expect(() => parseFindingsCsv('id,name\r\n1,x\r\n')).toThrow(/expected the header entity,entity_id/);
  });
});
