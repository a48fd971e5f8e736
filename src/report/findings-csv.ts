/**
 * The findings as CSV for spreadsheets: one row per finding, UTF-8 without a byte-order mark, a header
 * row, CRLF line ends and RFC 4180 quoting (a field with a comma, quote, CR or LF is quoted; quotes are
 * doubled).
 *
 * Columns (stable; new columns are only ever appended):
 *   entity        organization | person | deal | activity
 *   entity_id     the record's Pipedrive id
 *   entity_name   org name, person name or deal title (empty when unknown)
 *   org_id        the client the record belongs to (empty for orphan records)
 *   org_name      the client's name
 *   field         the field's name as the admin sees it in Pipedrive
 *   problem       missing | invalid_option | … (FindingProblem in src/rules/types.ts)
 *   detail        what is wrong, in plain words in the report's language: the finding's `message` in
 *                 report.json (the policy template filled with its params). The technical English
 *                 sentence (`detail`) and the params are in report.json only.
 *   owner_id      the user responsible for fixing it (empty when none)
 *   owner_name    that user's name
 *   url           the record in Pipedrive's web app (empty when it has no page)
 *
 * Text cells that begin with `=`, `+`, `-`, `@`, tab or CR are prefixed with an apostrophe so a
 * spreadsheet shows them instead of evaluating them as formulas (names come from the CRM, i.e. from
 * anyone who can type a client's name); a cell that begins with an apostrophe gets one too, so
 * `parseFindingsCsv` can always remove exactly one.
 */
import { EntityKind } from '../domain/entities.js';
import type { ReportFinding } from './report-schema.js';
import { FindingProblem } from '../domain/vocabulary.js';

/** One row of the findings CSV (empty cells read back as null). */
export interface FindingsCsvRow {
  entity: ReportFinding['entity'];
  entityId: number;
  entityName: string | null;
  orgId: number | null;
  orgName: string | null;
  field: string;
  problem: ReportFinding['problem'];
  /** The localized sentence (the finding's `message`). */
  detail: string;
  ownerId: number | null;
  ownerName: string | null;
  url: string | null;
}

/** The CSV row of a report finding. */
export function findingsCsvRow(f: ReportFinding): FindingsCsvRow {
  return {
    entity: f.entity,
    entityId: f.entityId,
    entityName: f.entityName,
    orgId: f.orgId,
    orgName: f.orgName,
    field: f.field,
    problem: f.problem,
    detail: f.message,
    ownerId: f.ownerId,
    ownerName: f.ownerName,
    url: f.url,
  };
}

export const FINDINGS_CSV_COLUMNS = [
  'entity',
  'entity_id',
  'entity_name',
  'org_id',
  'org_name',
  'field',
  'problem',
  'detail',
  'owner_id',
  'owner_name',
  'url',
] as const;

/** Formula starters, and the apostrophe itself so the prefix can always be undone. */
const NEEDS_PREFIX = /^[=+\-@\t\r']/;

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export function textCell(value: string | null): string {
  if (value === null) return '';
  return quote(NEEDS_PREFIX.test(value) ? `'${value}` : value);
}

function idCell(value: number | null): string {
  return value === null ? '' : String(value);
}

export function renderFindingsCsv(findings: Iterable<ReportFinding>): string {
  return [...findingsCsvLines(findings)].join('');
}

/** The CSV a line at a time (each ending in CRLF), header first: a 200,000-finding list is streamed to disk
 *  row by row instead of being held as one string next to the described findings. */
export function* findingsCsvLines(findings: Iterable<ReportFinding>): Generator<string> {
  yield FINDINGS_CSV_COLUMNS.join(',') + '\r\n';
  for (const finding of findings) {
    const f = findingsCsvRow(finding);
    yield [
      f.entity,
      idCell(f.entityId),
      textCell(f.entityName),
      idCell(f.orgId),
      textCell(f.orgName),
      textCell(f.field),
      f.problem,
      textCell(f.detail),
      idCell(f.ownerId),
      textCell(f.ownerName),
      textCell(f.url),
    ].join(',') + '\r\n';
  }
}

/**
 * Strict RFC 4180 reader: rows of fields; quoted fields may hold commas, quotes ("") and line breaks.
 * Throws on a stray quote or an unterminated quoted field, with the line number.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let line = 1;
  let quoted = false;
  let fieldStarted = false;
  const endField = () => {
    row.push(field);
    field = '';
    quoted = false;
    fieldStarted = false;
  };
  const endRow = () => {
    endField();
    rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\r' && next !== '\n') {
          throw new Error(`CSV line ${line}: unexpected character after a closing quote`);
        }
        continue;
      }
      if (c === '\n') line += 1;
      field += c;
      i += 1;
      continue;
    }
    if (c === '"') {
      if (fieldStarted) throw new Error(`CSV line ${line}: a quote inside an unquoted field`);
      quoted = true;
      fieldStarted = true;
      i += 1;
    } else if (c === ',') {
      endField();
      i += 1;
    } else if (c === '\r' || c === '\n') {
      endRow();
      line += 1;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      fieldStarted = true;
      i += 1;
    }
  }
  if (quoted) throw new Error(`CSV line ${line}: unterminated quoted field`);
  if (fieldStarted || row.length > 0) endRow();
  return rows;
}

function unText(cell: string): string | null {
  if (cell === '') return null;
  return cell.startsWith("'") && NEEDS_PREFIX.test(cell.slice(1)) ? cell.slice(1) : cell;
}

function unId(cell: string, column: string, line: number): number | null {
  if (cell === '') return null;
  if (!/^-?\d+$/.test(cell)) throw new Error(`findings CSV row ${line}: ${column} "${cell}" is not an id`);
  return Number(cell);
}

/** Reads a findings CSV written by `renderFindingsCsv` back into its rows (empty cells → null). */
export function parseFindingsCsv(text: string): FindingsCsvRow[] {
  const [header, ...rows] = parseCsv(text);
  if (!header || header.slice(0, FINDINGS_CSV_COLUMNS.length).join(',') !== FINDINGS_CSV_COLUMNS.join(',')) {
    throw new Error(`findings CSV: expected the header ${FINDINGS_CSV_COLUMNS.join(',')}`);
  }
  return rows.map((cells, index) => {
    const line = index + 2;
    const cell = (c: (typeof FINDINGS_CSV_COLUMNS)[number]) => cells[FINDINGS_CSV_COLUMNS.indexOf(c)] ?? '';
    const entityId = unId(cell('entity_id'), 'entity_id', line);
    if (entityId === null) throw new Error(`findings CSV row ${line}: entity_id is empty`);
    return {
      entity: EntityKind.parse(cell('entity')),
      entityId,
      entityName: unText(cell('entity_name')),
      orgId: unId(cell('org_id'), 'org_id', line),
      orgName: unText(cell('org_name')),
      field: unText(cell('field')) ?? '',
      problem: FindingProblem.parse(cell('problem')),
      detail: unText(cell('detail')) ?? '',
      ownerId: unId(cell('owner_id'), 'owner_id', line),
      ownerName: unText(cell('owner_name')),
      url: unText(cell('url')),
    };
  });
}
