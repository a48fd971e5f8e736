import type { z } from 'zod';
import { didYouMean, keysAt } from './suggest.js';
import type { ErrorKind } from '../domain/errors.js';

/** A configuration problem: every issue names the source, the key path and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly kind: ErrorKind = 'config';
  constructor(readonly issues: readonly string[]) {
    super(issues.length === 1 ? issues[0] : `${issues.length} configuration problems:\n  - ${issues.join('\n  - ')}`);
  }
}

/** `tiers[2].cadence.strategic.days` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let cur: unknown = input;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object' || !(part in (cur as object))) return { found: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[part];
  }
  return { found: true, value: cur };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * One line per zod issue: `source: path: message, got <value>`. Values of keys listed in `secretKeys`
 * are never echoed (the API token must not appear in any message). With the `schema`, an unknown key is
 * reported with the nearest valid key at its path ("did you mean …?").
 */
export function formatIssues(source: string, error: z.ZodError, input: unknown, secretKeys: readonly string[] = [], schema?: z.core.$ZodType): string[] {
  if (input === null || input === undefined) return [`${source}: the file is empty; it must hold the settings as YAML keys (start from a copy of the shipped file)`];
  if (typeof input !== 'object' || Array.isArray(input)) {
    return [`${source}: expected YAML keys (key: value lines) at the top of the file, found ${describe(input)}`];
  }
  return error.issues.flatMap((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = schema ? keysAt(schema, issue.path) : [];
      return issue.keys.map((k) => {
        const hint = didYouMean(k, known);
        const list = !hint && known.length > 0 && known.length <= 12 ? ` (valid keys here: ${known.join(', ')})` : '';
        return `${source}: ${path ? `${path}.${k}` : k}: unknown key${hint || `${list}; remove it or fix its spelling`}`;
      });
    }
    const { found, value } = valueAt(input, issue.path);
    const secret = issue.path.some((p) => secretKeys.includes(String(p)));
    let message = issue.message.replace(/^Invalid input: /, '');
    if (!found && issue.code === 'invalid_type') {
      const expected = String((issue as { expected?: unknown }).expected ?? '');
      const section = ['object', 'record', 'array'].includes(expected);
      message = message.replace(/, received undefined$/, '');
      return [
        section
          ? `${source}: ${path}: this section is missing; add it (the shipped file has every section with its defaults)`
          : `${source}: ${path}: missing; ${message}`,
      ];
    }
    const got = !found || secret ? '' : `, got ${describe(value)}`;
    return [`${source}: ${path || '(root)'}: ${message}${got}`];
  });
}
