#!/usr/bin/env node
/**
 * `cadence <command>`: sync · plan · apply · report · setup · doctor · run-once · schedule · demo.
 * The CLI maps flags onto the config and prints; it holds no logic (STYLE.md habit 7).
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeFailure, EXIT } from './cli/errors-to-exit.js';
import { COMMANDS, USAGE, type CommandName } from './cli/commands.js';
import { installLastDefence } from './ops/last-defence.js';

// Before anything else: a bug that escapes a command is logged once, recorded and exits 70 (README).
const defence = installLastDefence({ exitCode: EXIT.internal });

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? EXIT.ok : EXIT.config;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(`unknown command "${name}"\n\n${USAGE}`);
    return EXIT.config;
  }
  const command = COMMANDS[name as CommandName];
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({ args: rest, options: command.options as NonNullable<ParseArgsConfig['options']>, allowPositionals: false, strict: true });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT.config;
  }
  // A .env file in the working directory fills variables the environment does not already set.
  if (existsSync('.env') && name !== 'demo') process.loadEnvFile('.env');
  return command.run(values, process.env);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (!defence.fired) process.exitCode = code;
  },
  (err: unknown) => {
    if (defence.fired) return;
    const { code, message } = describeFailure(err);
    process.stderr.write(`cadence: ${message}\n`);
    process.exitCode = code;
  },
);
