/**
 * The command line as commander parses it from the command table (src/cli/commands.ts), without running
 * any command: `--help` on every command, usage errors exit 2 with what is wrong, values reach the
 * command under their option names. (test/e2e/cli-exit-codes.test.ts runs the real CLI in a process.)
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS, type Values } from '../../../src/cli/commands.js';
import { runCommandLine } from '../../../src/cli/program.js';

async function parse(argv: string[]) {
  const ran: { name: string; values: Values }[] = [];
  let out = '';
  let err = '';
  const code = await runCommandLine(
    argv,
    COMMANDS,
    async (name, _command, values) => {
      ran.push({ name, values });
      return 42;
    },
    { out: (t) => (out += t), err: (t) => (err += t) },
  );
  return { code, ran, out, err };
}

describe('cadence <command> --help', () => {
  it.each(Object.keys(COMMANDS))('%s --help: exit 0, its summary and every option with what it does, nothing run', async (name) => {
    const command = COMMANDS[name as keyof typeof COMMANDS];
    for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
      const r = await parse(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.ran).toEqual([]);
      expect(r.err).toBe('');
      expect(r.out).toContain(`Usage: cadence ${name} [options]`);
      // commander wraps long help to the width; compare with the white space folded.
      const folded = r.out.replace(/\s+/g, ' ');
      expect(folded).toContain(command.summary);
      for (const [option, spec] of Object.entries(command.options)) {
        expect(folded).toContain(`--${option}`);
        expect(folded).toContain(spec.help);
      }
      expect(r.out).toContain('Exit codes: 0 ok, 1 failed, 2 configuration');
    }
  });

  it('cadence --help lists every command; cadence alone shows the same on stderr and exits 2', async () => {
    const help = await parse(['--help']);
    expect(help.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(help.out).toMatch(new RegExp(`^  ${name} \\[options\\]`, 'm'));
    const bare = await parse([]);
    expect(bare.code).toBe(2);
    expect(bare.out).toBe('');
    expect(bare.err).toContain('Usage: cadence <command> [options]');
  });
});

describe('usage errors: exit 2, saying what is wrong, the command not run', () => {
  it.each([
    [['nosuch'], "unknown command 'nosuch'"],
    [['sycn'], '(Did you mean sync?)'],
    [['plan', '--colour'], "unknown option '--colour'"],
    [['apply', '--dry-runn'], '(Did you mean --dry-run?)'],
    [['plan', 'extra'], "too many arguments for 'plan'"],
    [['apply', '--max-writes', '0'], "option '--max-writes <N>' argument '0' is invalid. Expected a whole number ≥ 1."],
    [['apply', '--max-writes', 'lots'], 'Expected a whole number ≥ 1.'],
    [['apply', '--max-writes'], "option '--max-writes <N>' argument missing"],
    [['sync', '--reconcile', 'sometimes'], 'Allowed choices are auto, force, skip.'],
    [['demo', '--locale', 'fr'], 'Allowed choices are pt-BR, en.'],
    [['setup', '--webhooks', 'https://x.example', '--remove-webhooks'], "option '--remove-webhooks' cannot be used with option '--webhooks <public URL>'"],
    [['purge', '--company', 'a b', '--yes'], 'Expected a company id (letters, digits, . _ : -).'],
    [['rotate-key', '--policy', 'p.yaml'], "unknown option '--policy'"],
  ])('cadence %j', async (argv, message) => {
    const r = await parse(argv);
    expect(r.code).toBe(2);
    expect(r.ran).toEqual([]);
    expect(r.err).toContain(`cadence: `);
    expect(r.err).toContain(message);
    expect(r.err).toContain('`cadence <command> --help` lists');
  });
});

describe('parsed values', () => {
  it('reach the command under their option names; absent options are absent; its exit code is returned', async () => {
    const apply = await parse(['apply', '--policy', 'p.yaml', '--dry-run', '--max-writes', '25', '--no-sync']);
    expect(apply.code).toBe(42);
    expect(apply.ran).toEqual([{ name: 'apply', values: { policy: 'p.yaml', 'dry-run': true, 'max-writes': '25', 'no-sync': true } }]);
    expect((await parse(['plan'])).ran).toEqual([{ name: 'plan', values: {} }]);
    expect((await parse(['sync', '--reconcile=force', '--full'])).ran[0]!.values).toEqual({ reconcile: 'force', full: true });
    expect((await parse(['demo', '--locale', 'en', '--keep-running', '--report-dir', 'out'])).ran[0]!.values).toEqual({ locale: 'en', 'keep-running': true, 'report-dir': 'out' });
    expect((await parse(['purge', '--company', 'acme.pipedrive.com', '--yes'])).ran[0]!.values).toEqual({ company: 'acme.pipedrive.com', yes: true });
    expect((await parse(['setup', '--remove-webhooks'])).ran[0]!.values).toEqual({ 'remove-webhooks': true });
  });
});
