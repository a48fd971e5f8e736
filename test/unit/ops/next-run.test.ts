import cron from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { nextRunAfter, parseSchedule } from '../../../src/ops/next-run.js';

const at = (iso: string) => new Date(iso);
const next = (expr: string, tz: string, from: string) => nextRunAfter(expr, tz, at(from)).toISOString();

describe('nextRunAfter: ordinary days', () => {
  it('runs the default 02:00 in the firm zone (America/Sao_Paulo is UTC-3, no DST since 2019)', () => {
    expect(next('0 2 * * *', 'America/Sao_Paulo', '2026-01-10T12:00:00Z')).toBe('2026-01-11T05:00:00.000Z');
    expect(next('0 2 * * *', 'America/Sao_Paulo', '2026-01-11T04:59:59.999Z')).toBe('2026-01-11T05:00:00.000Z');
  });

  it('is strictly after `from`: a tick at its own instant schedules the next one', () => {
    expect(next('0 2 * * *', 'America/Sao_Paulo', '2026-01-11T05:00:00.000Z')).toBe('2026-01-12T05:00:00.000Z');
    expect(next('0 2 * * *', 'America/Sao_Paulo', '2026-01-11T05:00:00.500Z')).toBe('2026-01-12T05:00:00.000Z');
  });

  it('honours weekdays, months and the seconds field', () => {
    // 2026-01-16 is a Friday: the next weekday run is Monday the 19th.
    expect(next('0 2 * * 1-5', 'America/Sao_Paulo', '2026-01-16T06:00:00Z')).toBe('2026-01-19T05:00:00.000Z');
    expect(next('0 2 1 jan,jul *', 'UTC', '2026-01-02T00:00:00Z')).toBe('2026-07-01T02:00:00.000Z');
    expect(next('*/20 * * * * *', 'UTC', '2026-01-02T00:00:41Z')).toBe('2026-01-02T00:01:00.000Z');
    // Day of month and day of week both restricted: both must hold (node-cron's rule). 2026-02-13 is a Friday.
    expect(next('0 2 13 * fri', 'UTC', '2026-01-01T00:00:00Z')).toBe('2026-02-13T02:00:00.000Z');
  });

  it('crosses a year and a leap day', () => {
    expect(next('0 2 * * *', 'Asia/Tokyo', '2026-12-31T18:00:00Z')).toBe('2027-01-01T17:00:00.000Z');
    expect(next('0 2 29 2 *', 'UTC', '2026-03-01T00:00:00Z')).toBe('2028-02-29T02:00:00.000Z');
  });

  it('agrees with node-cron on days without a clock change', () => {
    const cases: Array<[string, string, string]> = [
      ['0 2 * * *', 'America/Sao_Paulo', '2026-05-05T10:11:12Z'],
      ['30 23 * * 0', 'Europe/Berlin', '2026-06-01T00:00:00Z'],
      ['*/7 3-5 * * *', 'Asia/Kolkata', '2026-02-02T23:59:30Z'],
      ['15 4 1 * *', 'America/New_York', '2026-07-15T00:00:00Z'],
      ['5 */2 * * * *', 'Australia/Lord_Howe', '2026-01-20T10:00:00Z'],
    ];
    vi.useFakeTimers();
    for (const [expr, tz, from] of cases) {
      vi.setSystemTime(at(from));
      const task = cron.createTask(expr, () => undefined, { timezone: tz });
      const theirs = task.getNextRuns(3).map((d) => d.toISOString());
      void task.destroy();
      const ours: string[] = [];
      let cursor = at(from);
      for (let i = 0; i < 3; i++) {
        cursor = nextRunAfter(expr, tz, cursor);
        ours.push(cursor.toISOString());
      }
      expect({ expr, tz, runs: ours }).toEqual({ expr, tz, runs: theirs });
    }
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('nextRunAfter: daylight-saving edges', () => {
  it('spring forward: a 02:00 or 02:30 run that does not exist runs when the clock jumps (New York, 2026-03-08)', () => {
    // 02:00 EST → 03:00 EDT at 07:00Z.
    expect(next('0 2 * * *', 'America/New_York', '2026-03-07T08:00:00Z')).toBe('2026-03-08T07:00:00.000Z');
    expect(next('30 2 * * *', 'America/New_York', '2026-03-07T08:00:00Z')).toBe('2026-03-08T07:00:00.000Z');
    // and the day after is back to normal (02:30 EDT = 06:30Z)
    expect(next('30 2 * * *', 'America/New_York', '2026-03-08T07:00:00Z')).toBe('2026-03-09T06:30:00.000Z');
  });

  it('spring forward with a 30-minute shift (Lord Howe Island, 02:00 → 02:30 on 2026-10-04)', () => {
    // 02:15 does not exist; the clock jumps at 02:00 +10:30 = 15:30Z the day before in UTC.
    expect(next('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z')).toBe('2026-10-03T15:30:00.000Z');
  });

  it('spring forward in Europe/Berlin (02:00 CET → 03:00 CEST on 2026-03-29)', () => {
    expect(next('0 2 * * *', 'Europe/Berlin', '2026-03-28T02:00:00Z')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('fall back: a 01:30 run that happens twice runs once, at the first 01:30 (New York, 2026-11-01)', () => {
    const first = next('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z');
    expect(first).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
    expect(next('30 1 * * *', 'America/New_York', first)).toBe('2026-11-02T06:30:00.000Z'); // next day 01:30 EST
  });

  it('fall back: an every-30-minutes schedule does not repeat the wall times of the repeated hour', () => {
    const runs: string[] = [];
    let cursor = at('2026-11-01T04:45:00Z'); // 00:45 EDT
    for (let i = 0; i < 4; i++) {
      cursor = nextRunAfter('*/30 * * * *', 'America/New_York', cursor);
      runs.push(cursor.toISOString());
    }
    // 01:00 EDT, 01:30 EDT, then (01:00 and 01:30 EST are the same wall times) 02:00 EST, 02:30 EST.
    expect(runs).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-01T07:00:00.000Z', '2026-11-01T07:30:00.000Z']);
  });

  it('from inside the repeated hour, the next run is the next new wall time', () => {
    // 06:10Z is the second 01:10 (EST); 01:30 already ran at 05:30Z.
    expect(next('30 1 * * *', 'America/New_York', '2026-11-01T06:10:00Z')).toBe('2026-11-02T06:30:00.000Z');
    expect(next('0 2 * * *', 'America/New_York', '2026-11-01T06:10:00Z')).toBe('2026-11-01T07:00:00.000Z');
  });

  it('is why we do not let node-cron time the run: node-cron 4.6 skips the spring-forward night', () => {
    vi.useFakeTimers();
    vi.setSystemTime(at('2026-03-08T06:00:00Z')); // 01:00 EST
    const task = cron.createTask('0 2 * * *', () => undefined, { timezone: 'America/New_York' });
    const theirs = task.getNextRuns(1)[0]?.toISOString();
    void task.destroy();
    expect(theirs).toBe('2026-03-09T06:00:00.000Z'); // a whole night lost
    expect(next('0 2 * * *', 'America/New_York', '2026-03-08T06:00:00Z')).toBe('2026-03-08T07:00:00.000Z');
  });
});

describe('parseSchedule and errors', () => {
  it('names CADENCE_SCHEDULE and the bad field', () => {
    expect(() => parseSchedule('61 2 * * *')).toThrow(ConfigError);
    expect(() => parseSchedule('61 2 * * *')).toThrow(/^environment: CADENCE_SCHEDULE: the minute "61" is not valid \(allowed: 0–59\), got "61 2 \* \* \*"/);
    expect(() => parseSchedule('0 2 * *')).toThrow(/expected 5 fields \(minute hour day-of-month month day-of-week, or 6 with seconds first\), found 4/);
  });

  it('rejects L, W and # tokens instead of ignoring them', () => {
    expect(() => parseSchedule('0 2 L * *')).toThrow(/day-of-month token "L" \(L, W, #\) is not supported/);
    expect(() => parseSchedule('0 2 * * 1#2')).toThrow(/day-of-week token "1#2"/);
  });

  it('rejects an unknown time zone and a date that never exists', () => {
    expect(() => nextRunAfter('0 2 * * *', 'Mars/Base', at('2026-01-01T00:00:00Z'))).toThrow(/expected an IANA time zone like America\/Sao_Paulo, got "Mars\/Base"/);
    expect(() => nextRunAfter('0 2 30 2 *', 'UTC', at('2026-01-01T00:00:00Z'))).toThrow(/CADENCE_SCHEDULE: 30 2 is an impossible day of month/);
  });

  it('accepts Sunday as 0 or 7, and names', () => {
    const sunday = next('0 2 * * 7', 'UTC', '2026-01-01T00:00:00Z');
    expect(sunday).toBe('2026-01-04T02:00:00.000Z');
    expect(next('0 2 * * sun', 'UTC', '2026-01-01T00:00:00Z')).toBe(sunday);
  });
});
