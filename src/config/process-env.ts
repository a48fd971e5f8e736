/**
 * The process environment. Only the config module reads it (ESLint refuses `process.env` elsewhere in
 * src/): the CLI hands it to the config parsers once, and everything else gets typed values.
 */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}

/** True under CI (`CI=true`, set by CI systems): progress is logged as lines, never redrawn in place. */
export function runsInCi(env: Record<string, string | undefined> = process.env): boolean {
  return env.CI === 'true';
}
