/**
 * The provenance marker the worker puts in the note of every activity it creates. Pipedrive has no
 * idempotency keys and v2 activities carry no custom fields (PIPEDRIVE.md §4, gotcha 9), so the note is
 * where an activity's deterministic key lives: the sync reads it back into `Activity.cadenceKey`, and
 * apply looks for it among a client's open activities before creating anything.
 */
const MARKER = /cadence-key:([A-Za-z0-9_.:-]+)/;

export function provenanceMarker(key: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(key)) throw new Error(`invalid cadence key "${key}": use letters, digits and _ . : - only`);
  return `cadence-key:${key}`;
}

export function extractCadenceKey(note: string | null | undefined): string | null {
  if (!note) return null;
  const m = MARKER.exec(note);
  return m?.[1] ?? null;
}
