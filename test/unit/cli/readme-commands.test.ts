/**
 * README's command table against the CLI's definition (COMMANDS in src/cli/commands.ts): the same
 * commands, and on each row exactly the command's options, spelt as `--help` spells them. A command or
 * an option added, renamed or removed on one side only fails here, with the cell to write.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands.js';
import { optionFlags } from '../../../src/cli/program.js';

interface Row {
  command: string;
  options: string;
  text: string;
}

const HEADER = '| command | options | what it does |';

/** The rows of the table under "## Commands" (`| \`name\` | options | what it does |`). */
function tableRows(readme: string): Row[] {
  const start = readme.indexOf('\n## Commands\n');
  const lines = readme.slice(start, readme.indexOf('\n## ', start + 1)).split('\n');
  const header = lines.indexOf(HEADER);
  if (start < 0 || header < 0) throw new Error(`README "## Commands" has no table ${HEADER}`);
  const rows: Row[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    // Cells are split on | not escaped as \| (the text may hold `auto\|force\|skip`).
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells.length !== 3) throw new Error(`README command table: a row needs 3 cells: ${line}`);
    rows.push({ command: cells[0]!.replace(/^`|`$/g, ''), options: cells[1]!, text: cells[2]! });
  }
  return rows;
}

const optionsCell = (name: string): string =>
  Object.entries(COMMANDS[name as keyof typeof COMMANDS].options)
    .map(([option, spec]) => `\`${optionFlags(option, spec)}\``)
    .join(' ');

/** Every difference between the table and the CLI, as what to fix; empty when they agree. */
function tableProblems(readme: string): string[] {
  const rows = tableRows(readme);
  const names = Object.keys(COMMANDS);
  const problems: string[] = [];
  for (const name of names) {
    const row = rows.filter((r) => r.command === name);
    if (row.length !== 1) problems.push(`command ${name}: ${row.length} rows in README's table, expected 1`);
    else if (row[0]!.options !== optionsCell(name)) problems.push(`command ${name}: options cell should be ${optionsCell(name)}, is ${row[0]!.options}`);
  }
  for (const r of rows) {
    if (!names.includes(r.command)) {
      problems.push(`README's table has "${r.command}", which the CLI does not`);
      continue;
    }
    const known = Object.keys(COMMANDS[r.command as keyof typeof COMMANDS].options);
    for (const m of r.text.matchAll(/--([a-z][a-z-]*)/g)) if (!known.includes(m[1]!)) problems.push(`command ${r.command}: its text names --${m[1]}, which it does not have`);
  }
  return problems;
}

describe("README's command table matches the CLI", () => {
  const readme = readFileSync('README.md', 'utf8');

  it('every command once, each with exactly its options; its text names only options it has', () => {
    expect(tableRows(readme).length).toBe(Object.keys(COMMANDS).length);
    expect(tableProblems(readme)).toEqual([]);
  });

  it('the check sees an option or a command on one side only', () => {
    const applyRow = tableRows(readme).find((r) => r.command === 'apply')!;
    expect(applyRow.options).toContain('`--force`');
    const withoutForce = readme.replace(applyRow.options, applyRow.options.replace(' `--force`', ''));
    expect(tableProblems(withoutForce)).toEqual([expect.stringMatching(/^command apply: options cell should be .*--force/)]);
    const extraOption = readme.replace(applyRow.options, `${applyRow.options} \`--colour\``);
    expect(tableProblems(extraOption)).toEqual([expect.stringMatching(/^command apply: options cell should be/)]);
    const purgeLine = readme.split('\n').find((l) => l.startsWith('| `purge` |'))!;
    expect(tableProblems(readme.replace(`${purgeLine}\n`, ''))).toEqual(["command purge: 0 rows in README's table, expected 1"]);
    expect(tableProblems(readme.replace(purgeLine, `${purgeLine}\n| \`prune\` | \`--yes\` | old |`))).toEqual(['README\'s table has "prune", which the CLI does not']);
    expect(tableProblems(readme.replace(purgeLine, purgeLine.replace('erases', 'erases (`--all` for every company)')))).toEqual([
      'command purge: its text names --all, which it does not have',
    ]);
  });
});
