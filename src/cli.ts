#!/usr/bin/env node
/**
 * `cadence <command>`: sync · plan · apply · report · setup · doctor · run-once · schedule · demo ·
 * rotate-key · purge. The commands and their options are declared in src/cli/commands.ts and parsed by
 * src/cli/program.ts. The CLI maps flags onto the config and prints; it holds no logic (STYLE.md habit 7).
 */
import { existsSync } from 'node:fs';
import { describeFailure, EXIT } from './cli/errors-to-exit.js';
import { COMMANDS } from './cli/commands.js';
import { runCommandLine } from './cli/program.js';
import { installLastDefence } from './ops/last-defence.js';
import { processEnv } from './config/process-env.js';

// Before anything else: a bug that escapes a command is logged once, recorded and exits 70 (README).
const defence = installLastDefence({ exitCode: EXIT.internal });

async function main(argv: string[]): Promise<number> {
  return runCommandLine(argv, COMMANDS, (name, command, values) => {
    // A .env file in the working directory fills variables the environment does not already set.
    if (existsSync('.env') && name !== 'demo') process.loadEnvFile('.env');
    return command.run(values, processEnv());
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (defence.fired) return;
    process.exitCode = code;
    // A file-system call that timed out (a hung mount) may still hold the event loop: the command has
    // answered, so leave once the output has had time to drain. Unref'd: a normal exit does not wait.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (err: unknown) => {
    if (defence.fired) return;
    const { code, message } = describeFailure(err);
    process.stderr.write(`cadence: ${message}\n`);
    process.exitCode = code;
  },
);
