/**
 * Progress for long runs: one rewriting status line on a TTY, structured log lines otherwise
 * (at most one per `everyMs` per topic, plus the final one).
 */
import type { JobOptions } from '../job/run-company-job.js';
import type { Logger } from '../log/logger.js';
import { runsInCi } from '../config/process-env.js';
import { systemClock, type Clock } from '../domain/clock.js';

export interface ProgressSink {
  update(topic: string, fields: Record<string, string | number | undefined>): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream, logger: Logger, everyMs = 2000, clock: Pick<Clock, 'now'> = systemClock()): ProgressSink {
  const tty = Boolean(stream.isTTY) && !runsInCi();
  const lastLog = new Map<string, number>();
  let lineOpen = false;
  return {
    update(topic, fields) {
      if (tty) {
        const text = `${topic} ${Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`;
        const width = stream.columns ?? 120;
        stream.write(`\r${text.slice(0, width - 1).padEnd(Math.min(width - 1, text.length + 10))}`);
        lineOpen = true;
        return;
      }
      const now = clock.now();
      if (now - (lastLog.get(topic) ?? 0) < everyMs) return;
      lastLog.set(topic, now);
      logger.info({ progress: topic, ...fields }, `progress ${topic}`);
    },
    done() {
      if (lineOpen) stream.write('\n');
      lineOpen = false;
    },
  };
}

/** Progress callbacks for a job, rendered on a TTY or as log lines. */
export function jobProgress(progress: ProgressSink): Pick<JobOptions, 'onSyncProgress' | 'onApplyProgress'> {
  return {
    onSyncProgress: (p) =>
      progress.update(`sync ${p.phase}${p.entity ? ` ${p.entity}` : ''}`, {
        records: p.records,
        pages: p.pages,
        requests: p.requests,
        retries: p.retries,
        burstLeft: p.headroom.burstRemaining,
        dailyLeft: p.headroom.dailyRemaining,
      }),
    onApplyProgress: (p) => progress.update('apply', { done: p.done, total: p.total, last: p.result.outcome }),
  };
}
