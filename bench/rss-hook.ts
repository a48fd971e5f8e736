/**
 * Preloaded into every measured child (`--import ./bench/rss-hook.ts`): on exit, writes the process's own
 * peak RSS and CPU time to BENCH_RUSAGE_FILE. Exact (the kernel's high-water mark), unlike sampling from the
 * parent, and it measures only this process — not the sandbox, not the orchestrator.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RUSAGE_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}
