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

/**
 * The cadence rules a follow-up key was created for: `fu:<orgId>:<ruleId>:<window>` names one; a key that
 * carries several rules lists them joined by `.` (rule ids never contain one). Empty for any other key
 * (renewal, escalation…). The rules use it to count a done follow-up of the worker for the rules it carried.
 */
export function followUpKeyRuleIds(key: string): string[] {
  const m = /^fu:\d+:([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*):(?:never|\d{4}-\d{2}-\d{2})$/.exec(key);
  return m ? m[1]!.split('.') : [];
}
