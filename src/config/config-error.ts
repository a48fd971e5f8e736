import type { z } from 'zod';

/** A configuration problem: every issue names the source, the key path and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
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
 * are never echoed (the API token must not appear in any message).
 */
export function formatIssues(source: string, error: z.ZodError, input: unknown, secretKeys: readonly string[] = []): string[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    const { found, value } = valueAt(input, issue.path);
    const secret = issue.path.some((p) => secretKeys.includes(String(p)));
    const got = !found ? (issue.code === 'invalid_type' ? ', but it is missing' : '') : secret ? '' : `, got ${describe(value)}`;
    let message = issue.message.replace(/^Invalid input: /, '');
    if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${source}: ${path || '(root)'}: ${message}${issue.code === 'unrecognized_keys' ? '' : got}`;
  });
}
