/**
 * A dedicated redis-server for one test, on a free port, as a child process the test can SIGKILL and
 * start again. Append-only file with fsync on every write, in a temporary directory: a restarted server
 * comes back with exactly what was acknowledged before the kill (RDB snapshots off, `--save ''`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface RedisServer {
  port: number;
  url: string;
  /** SIGKILL: the store goes away mid-run. */
  kill(): void;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export async function startRedisServer(dir: string): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const c = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir, '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child = c;
    await new Promise<void>((resolve, reject) => {
      c.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready`)));
      createInterface({ input: c.stdout! }).on('line', (line) => {
        if (/Ready to accept connections/.test(line)) resolve();
      });
    });
  };
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill() {
      child?.kill('SIGKILL');
    },
    async restart() {
      if (child) await exited(child);
      await launch();
    },
    async stop() {
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
