/** Starts ops-worker.ts as a child process and lets tests await its events (no sleeps). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface WorkerEvent {
  event: string;
  pid: number;
  [key: string]: unknown;
}

export interface Worker {
  child: ChildProcess;
  events: WorkerEvent[];
  logs: Array<Record<string, unknown>>;
  /** Resolves with the first event (already seen or future) that matches. */
  waitFor(match: (e: WorkerEvent) => boolean, what?: string): Promise<WorkerEvent>;
  /** Resolves with the first log line (stderr) whose msg matches. */
  waitForLog(msg: string | RegExp): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const WORKER = fileURLToPath(new URL('./ops-worker.ts', import.meta.url));

export function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: WorkerEvent[] = [];
  const logs: Array<Record<string, unknown>> = [];
  let stderrText = '';
  const watchers: Array<() => void> = [];
  const notify = () => watchers.slice().forEach((w) => w());
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        onLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    });
  };
  lines(child.stdout!, (line) => {
    try {
      events.push(JSON.parse(line) as WorkerEvent);
    } catch {
      events.push({ event: 'stdout', pid: child.pid ?? 0, line });
    }
    notify();
  });
  lines(child.stderr!, (line) => {
    stderrText += `${line}\n`;
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not a log line (e.g. a Node warning) */
    }
    notify();
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after the exit and after stdout/stderr have been read to the end.
    child.on('close', (code, signal) => {
      done = true;
      notify();
      resolve({ code, signal });
    });
  });

  const waitUntil = <T>(find: () => T | undefined, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) {
          watchers.splice(watchers.indexOf(check), 1);
          resolve(found);
        } else if (done) {
          watchers.splice(watchers.indexOf(check), 1);
          reject(new Error(`worker ${child.pid} exited before ${what}\nstdout events: ${JSON.stringify(events)}\nstderr:\n${stderrText.slice(-4000)}`));
        }
      };
      watchers.push(check);
      check();
    });

  return {
    child,
    events,
    logs,
    waitFor: (match, what = 'the awaited event') => waitUntil(() => events.find(match), what),
    waitForLog: (msg) =>
      waitUntil(() => logs.find((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)))), `log "${String(msg)}"`),
    exited,
    stderr: () => stderrText,
  };
}
