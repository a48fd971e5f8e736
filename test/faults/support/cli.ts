/**
 * The real CLI as a child process (`node --unhandled-rejections=strict --import tsx src/cli.ts <command>`,
 * what `npx tsx src/cli.ts` runs, with any unobserved promise rejection made fatal), with an environment built only from what the test passes: nothing of the developer's PIPEDRIVE_* or
 * CADENCE_* variables, and no `.env` (the working directory is the repository, which has none).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
}

const OURS = /^(PIPEDRIVE_|CADENCE_|LOG_LEVEL$)/;

/** `nodeArgs`: extra Node options after tsx's (e.g. `--import` of a TypeScript test preload). */
export function startCli(args: readonly string[], env: Record<string, string>, { nodeArgs = [] }: { nodeArgs?: readonly string[] } = {}): CliRun {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !OURS.test(k)));
  // strict: a promise rejection nobody handled is raised as an uncaught exception even when a handler for
  // `unhandledRejection` is installed, so any such bug ends the run with the last defence's exit code (70).
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', '--import', 'tsx', ...nodeArgs, 'src/cli.ts', ...args], {
    env: { ...base, LOG_LEVEL: 'warn', CI: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return startCli(args, env).done;
}
