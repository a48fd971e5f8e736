/** The project's docs stand alone: nothing in README, docs, config or src points outside the repository. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

describe('the docs stand alone', () => {
  it('no file of README.md, docs/, config/, src/ or sandbox/ links to ../shared or /work/shared', () => {
    const all = ['README.md', 'docs', 'config', 'src', 'sandbox', '.env.example'].flatMap(files).filter((f) => !f.endsWith('.png'));
    expect(all.length).toBeGreaterThan(50);
    const offenders = all.filter((f) => /\.\.\/shared|\/work\/shared/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('docs/policy.md explains every top-level section of the shipped policy', () => {
    const doc = readFileSync('docs/policy.md', 'utf8');
    const sections = [...readFileSync('config/policy.yaml', 'utf8').matchAll(/^([a-zA-Z]+):/gm)].map((m) => m[1]!);
    const unexplained = sections.filter((k) => !['version', 'texts', 'writes', 'flags'].includes(k) && !doc.includes(`\`${k}`));
    expect(unexplained).toEqual([]);
  });

  it('the README mentions every option of every command', async () => {
    const { COMMANDS } = await import('../../src/cli/commands.js');
    const readme = readFileSync('README.md', 'utf8');
    const missing = Object.values(COMMANDS).flatMap((c) => Object.keys(c.options)).filter((o) => !readme.includes(`--${o}`));
    expect([...new Set(missing)]).toEqual([]);
  });
});
