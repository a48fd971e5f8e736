/**
 * The command line, parsed by commander from the command table (COMMANDS in commands.ts): each option
 * is declared once there and commander builds from it the parsing, the checks (choices, values,
 * conflicts, unknown options and commands, stray arguments) and `cadence <command> --help`, all
 * before a command runs. A usage error exits 2 (configuration) with what is wrong; help exits 0.
 */
import { Command as Program, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_CODES_LINE, type Command, type OptionSpec, type Values } from './commands.js';
import { EXIT } from './errors-to-exit.js';

/** Runs a parsed command; returns its exit code. */
export type RunCommand = (name: string, command: Command, values: Values) => Promise<number>;

/** Where help (stdout) and usage errors (stderr) are written. */
export interface ProgramOutput {
  out(text: string): void;
  err(text: string): void;
}

const STDIO: ProgramOutput = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** `--policy <file>`, `--force`: an option as help and README's command table write it. */
export function optionFlags(name: string, spec: OptionSpec): string {
  return spec.type === 'string' ? `--${name} ${spec.arg ?? '<value>'}` : `--${name}`;
}

/** The key commander stores an option under (`dry-run` → `dryRun`, `no-sync` → `sync`). */
function attributeOf(name: string): string {
  return new Option(`--${name}`).attributeName();
}

function toOption(name: string, spec: OptionSpec): Option {
  const option = new Option(optionFlags(name, spec), spec.help);
  if (spec.choices) option.choices(spec.choices);
  const check = spec.check;
  if (check) {
    option.argParser((value: string) => {
      const problem = check(value);
      if (problem) throw new InvalidArgumentError(problem);
      return value;
    });
  }
  if (spec.conflicts) option.conflicts(spec.conflicts.map(attributeOf));
  return option;
}

/** Commander's parsed options back under the option names the commands read (`values['no-sync'] === true`). */
function valuesOf(parsed: Record<string, unknown>, specs: Record<string, OptionSpec>): Values {
  const values: Values = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = parsed[attributeOf(name)];
    // A `--no-x` option alone is stored by commander as x: true by default, false when given.
    const given = spec.type === 'string' ? (typeof v === 'string' ? v : undefined) : name.startsWith('no-') ? v === false || undefined : v === true || undefined;
    if (given !== undefined) values[name] = given;
  }
  return values;
}

/** The whole command line; `result.code` holds the exit code of the command that ran. */
export function buildProgram(commands: Readonly<Record<string, Command>>, run: RunCommand, result: { code: number } = { code: EXIT.ok }, io: ProgramOutput = STDIO): Program {
  const program = new Program('cadence')
    .usage('<command> [options]')
    .description('Keeps key-account relationships on cadence in Pipedrive: sync, rules, follow-ups, data-quality reports.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(`cadence: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError("(`cadence <command> --help` lists a command's options)")
    .addHelpText('after', `\nConfiguration: environment variables, see .env.example.\n${EXIT_CODES_LINE}\n`);
  for (const [name, command] of Object.entries(commands)) {
    const sub = program
      .command(name)
      .summary(command.summary)
      .description(`${command.summary}.`)
      .allowExcessArguments(false)
      .addHelpText('after', `\n${EXIT_CODES_LINE}\n`);
    for (const [option, spec] of Object.entries(command.options)) sub.addOption(toOption(option, spec));
    sub.action(async () => {
      result.code = await run(name, command, valuesOf(sub.opts(), command.options));
    });
  }
  return program;
}

/** Parses `argv` (without node and the script) and runs the command; returns the exit code. */
export async function runCommandLine(argv: readonly string[], commands: Readonly<Record<string, Command>>, run: RunCommand, io: ProgramOutput = STDIO): Promise<number> {
  const result = { code: EXIT.ok as number };
  try {
    await buildProgram(commands, run, result, io).parseAsync(argv, { from: 'user' });
  } catch (err) {
    // Help asked for: 0. A usage error (unknown command or option, a bad value): 2, as any configuration error.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.config;
    throw err;
  }
  return result.code;
}
