/**
 * "Did you mean …?": the nearest known name to a misspelt one, and the valid keys of a zod schema at a
 * key path, so an unknown policy key, companies-file key or CADENCE_* variable is reported with the
 * name the user most likely meant. Derived from the schemas, so a key added later is covered.
 */
import type { z } from 'zod';

/** Case-insensitive Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  if (s === t) return 0;
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/**
 * The known name closest to `name`, when it is close enough to be a typo: at most 2 edits, or a third of
 * the name's length for long names (`activeClientWindowDay` → `activeClientWindowDays`).
 */
export function nearest(name: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 4));
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    // A name cut short (`minRevenue` for `minRevenue12m`) is as likely a typo as a letter swapped.
    const prefix = k.length > name.length && name.length >= 4 && k.toLowerCase().startsWith(name.toLowerCase()) && k.length - name.length <= 4;
    const d = prefix ? 1 : editDistance(name, k);
    if (d <= limit && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/** ` (did you mean "x"?)`, or nothing when no known name is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const n = nearest(name, known);
  return n ? `; did you mean "${n}"?` : '';
}

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips optional/default/pipe wrappers down to the schema that holds the shape. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

/** The object keys the schema accepts at `path` (record keys and list indexes are followed), or []. */
export function keysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let s: AnySchema | undefined = unwrap(schema);
  for (const part of path) {
    if (!s) return [];
    const def = defOf(s);
    if (def.type === 'object' && def.shape) s = def.shape[String(part)];
    else if (def.type === 'array' && def.element) s = def.element;
    else if (def.type === 'record' && def.valueType) s = def.valueType;
    else return [];
    if (s) s = unwrap(s);
  }
  if (!s) return [];
  const def = defOf(s);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
