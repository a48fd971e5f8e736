/**
 * Near-miss names: "Meating" for "meeting", "Estrategico" for "Estratégico", "tier " for "Tier". Setup
 * refuses to create a type or field whose name is a near miss of one that exists (it would pollute the
 * account with a twin), and the checks name the one that exists.
 */
import { editDistance } from '../config/suggest.js';

/** Lower case, accents and punctuation removed: what a person sees as "the same word". */
export function foldName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

/** The existing name `name` nearly matches (same when folded, or at most 2 edits apart), or undefined when it matches one exactly. */
export function nearMiss(name: string, existing: Iterable<string>): string | undefined {
  const folded = foldName(name);
  let best: { name: string; d: number } | undefined;
  for (const e of existing) {
    if (e === name) return undefined;
    const d = editDistance(folded, foldName(e));
    if (d <= 2 && (!best || d < best.d)) best = { name: e, d };
  }
  return best?.name;
}
