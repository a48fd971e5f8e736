/** Public API of the pure rules layer (docs/policy.md §1–4, §6, §7). */
export { assessCompany } from './assess-company.js';
export type { AssessOptions } from './assess-company.js';
export { resolveUserRef } from './resolve-user-ref.js';
export { addBusinessDays, createZoneCalendar, formatEpochDay, isoWeekKey, parseIsoDate } from './calendar.js';
export type { BusinessCalendar, EpochDay, ZoneCalendar } from './calendar.js';
export { cadenceStatus, STATUS_RANK } from './cadence.js';
export { createFieldCatalogue, normalizeFieldName } from './field-catalogue.js';
export type { FieldCatalogue, ResolvedField } from './field-catalogue.js';
export * from './types.js';
