/** Public API of the reports: the writer, the pure renderers and the versioned JSON contract. */
export { writeReports, latestReportPath, assertSafeRunId, REPORT_FILES, LATEST } from './write-reports.js';
export type { WriteReportsInput, WrittenReports } from './write-reports.js';
export { buildJsonReport } from './build-json-report.js';
export type { BuildReportInput } from './build-json-report.js';
export { renderHtml } from './render-html.js';
export { renderFindingsCsv, parseFindingsCsv, parseCsv, findingsCsvRow, FINDINGS_CSV_COLUMNS } from './findings-csv.js';
export type { FindingsCsvRow } from './findings-csv.js';
export { appOrigin, recordUrl } from './record-url.js';
export { REPORT_LABEL_KEYS, createLabels } from './report-labels.js';
export * from './report-schema.js';
