/**
 * Preloaded into every measured child (`--import ./bench/rss-hook.ts`): on exit, writes the process's own
 * peak RSS, CPU time and longest event-loop stall to BENCH_RUSAGE_FILE. Exact (the kernel's high-water mark),
 * unlike sampling from the parent, and it measures only this process — not the sandbox, not the
 * orchestrator. The stall matters because timers (lock-lease renewal, progress) cannot fire during it.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.BENCH_RUSAGE_FILE;
if (file) {
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  process.on('exit', () => {
    loop.disable();
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime, maxLoopStallMs: Math.round(loop.max / 1e6) }));
  });
}
