import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  addYears,
  createZoneCalendar,
  formatEpochDay,
  isoWeekday,
  isoWeekKey,
  parseInstant,
  parseIsoDate,
} from '../../../src/rules/calendar.js';
import { seeded } from './fixtures.js';

const day = (d: string) => parseIsoDate(d)!;
const localDate = (tz: string, iso: string) => formatEpochDay(createZoneCalendar(tz).dayOfInstant(Date.parse(iso)));

describe('parseIsoDate: real calendar dates only', () => {
  it.each([
    ['2026-02-28', true],
    ['2026-02-29', false],
    ['2028-02-29', true],
    ['2026-02-30', false],
    ['2026-04-31', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-1-5', false],
    ['26-01-05', false],
    ['2026-12-31', true],
  ])('%s → %s', (text, ok) => {
    expect(parseIsoDate(text) !== null).toBe(ok);
  });

  it('formatEpochDay agrees with Date for every day from 1900 to 2100', () => {
    for (let d = parseIsoDate('1900-01-01')!; d <= parseIsoDate('2100-12-31')!; d += 1) {
      const want = new Date(d * 86_400_000).toISOString().slice(0, 10);
      if (formatEpochDay(d) !== want) expect(formatEpochDay(d)).toBe(want);
    }
  });

  it('round-trips through formatEpochDay', () => {
    expect(formatEpochDay(day('2026-03-08'))).toBe('2026-03-08');
    expect(day('1970-01-01')).toBe(0);
  });
});

describe('ISO weeks', () => {
  it.each([
    ['2026-01-01', '2026-W01', 4], // Thursday: week 1 of 2026
    ['2025-12-29', '2026-W01', 1], // Monday of 2026-W01, still December
    ['2025-12-28', '2025-W52', 7],
    ['2027-01-01', '2026-W53', 5], // Friday: belongs to the 53rd week of 2026
    ['2027-01-04', '2027-W01', 1],
    ['2024-12-30', '2025-W01', 1],
    ['2026-03-08', '2026-W10', 7],
  ])('%s is in %s, ISO weekday %i', (date, week, weekday) => {
    expect(isoWeekKey(day(date))).toBe(week);
    expect(isoWeekday(day(date))).toBe(weekday);
  });
});

describe('firm calendar date of an instant', () => {
  it.each([
    // São Paulo is UTC−3 all year (no DST since 2019): 01:30 UTC on Monday is still Sunday there.
    ['America/Sao_Paulo', '2026-01-05T01:30:00Z', '2026-01-04'],
    ['America/Sao_Paulo', '2026-01-05T03:00:00Z', '2026-01-05'],
    ['UTC', '2026-01-05T01:30:00Z', '2026-01-05'],
    // New York, DST starts 2026-03-08 at 02:00 EST (07:00 UTC); ends 2026-11-01 at 02:00 EDT (06:00 UTC).
    ['America/New_York', '2026-03-08T04:59:00Z', '2026-03-07'],
    ['America/New_York', '2026-03-08T05:00:00Z', '2026-03-08'],
    ['America/New_York', '2026-03-09T03:59:00Z', '2026-03-08'], // 23:59 EDT
    ['America/New_York', '2026-03-09T04:00:00Z', '2026-03-09'], // midnight EDT, one hour earlier in UTC
    ['America/New_York', '2026-11-01T03:59:00Z', '2026-10-31'], // 23:59 EDT
    ['America/New_York', '2026-11-02T04:59:00Z', '2026-11-01'], // 23:59 EST
    ['America/New_York', '2026-11-02T05:00:00Z', '2026-11-02'],
    // Lisbon: WET → WEST on 2026-03-29 at 01:00 UTC, back on 2026-10-25 at 01:00 UTC.
    ['Europe/Lisbon', '2026-03-28T23:30:00Z', '2026-03-28'],
    ['Europe/Lisbon', '2026-03-29T23:30:00Z', '2026-03-30'], // 00:30 WEST
    ['Europe/Lisbon', '2026-10-24T23:30:00Z', '2026-10-25'], // 00:30 WEST
    ['Europe/Lisbon', '2026-10-25T23:30:00Z', '2026-10-25'], // 23:30 WET
  ])('%s: %s is %s', (tz, iso, date) => {
    expect(localDate(tz, iso)).toBe(date);
  });

  it('knows the offset on both sides of the New York spring-forward instant', () => {
    const cal = createZoneCalendar('America/New_York');
    expect(cal.offsetMs(Date.parse('2026-03-08T06:59:59Z'))).toBe(-5 * 3_600_000);
    expect(cal.offsetMs(Date.parse('2026-03-08T07:00:00Z'))).toBe(-4 * 3_600_000);
  });

  it('agrees with Intl for random instants in zones with DST, half-hour and quarter-hour offsets', () => {
    const zones = ['America/Sao_Paulo', 'America/New_York', 'Europe/Lisbon', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham', 'UTC'];
    const rnd = seeded(42);
    const from = Date.parse('2015-01-01T00:00:00Z');
    const span = Date.parse('2030-01-01T00:00:00Z') - from;
    for (const tz of zones) {
      const cal = createZoneCalendar(tz);
      const ref = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
      for (let i = 0; i < 400; i += 1) {
        // Quarter-hour-aligned instants ± a minute hit DST switch boundaries often.
        const ms = from + Math.floor(rnd() * (span / 900_000)) * 900_000 + (Math.floor(rnd() * 3) - 1) * 60_000;
        expect(formatEpochDay(cal.dayOfInstant(ms)), `${tz} ${new Date(ms).toISOString()}`).toBe(ref.format(ms));
      }
    }
  });

  it('rejects an unknown zone with a message that names it', () => {
    expect(() => createZoneCalendar('Mars/Olympus')).toThrow(/Mars\/Olympus/);
  });
});

describe('parseInstant', () => {
  it('reads RFC 3339 and the v1 "YYYY-MM-DD HH:MM:SS" form as UTC', () => {
    expect(parseInstant('2026-01-05T01:30:00Z')).toBe(Date.UTC(2026, 0, 5, 1, 30));
    expect(parseInstant('2026-01-05 01:30:00')).toBe(Date.UTC(2026, 0, 5, 1, 30));
    expect(parseInstant('2026-01-05T01:30:00-03:00')).toBe(Date.UTC(2026, 0, 5, 4, 30));
    expect(parseInstant('2026-01-05T01:30:00.250Z')).toBe(Date.UTC(2026, 0, 5, 1, 30, 0, 250));
    expect(parseInstant('not a timestamp')).toBeNaN();
  });

  it('its fast path agrees with Date.parse on random instants', () => {
    const rnd = seeded(7);
    for (let i = 0; i < 2000; i += 1) {
      const iso = new Date(Date.UTC(1990, 0, 1) + Math.floor(rnd() * 60 * 365 * 86_400) * 1000).toISOString().replace('.000Z', 'Z');
      expect(parseInstant(iso)).toBe(Date.parse(iso));
    }
  });
});

describe('addYears', () => {
  it('goes back a calendar year; 29 February lands on 1 March', () => {
    expect(formatEpochDay(addYears(day('2026-03-10'), -1))).toBe('2025-03-10');
    expect(formatEpochDay(addYears(day('2028-02-29'), -1))).toBe('2027-03-01');
  });
});

describe('addBusinessDays (policy.followUp)', () => {
  const weekdays = { businessDays: [1, 2, 3, 4, 5], holidays: ['2026-12-25', '2027-01-01'] };
  it.each([
    ['Monday + 1 → Tuesday', '2026-03-02', 1, weekdays, '2026-03-03'],
    ['Friday + 1 → Monday', '2026-03-06', 1, weekdays, '2026-03-09'],
    ['Saturday + 1 → Monday', '2026-03-07', 1, weekdays, '2026-03-09'],
    ['Thursday before Christmas + 1 skips the holiday and the weekend', '2026-12-24', 1, weekdays, '2026-12-28'],
    ['Thursday 31 Dec + 1 skips New Year', '2026-12-31', 1, weekdays, '2027-01-04'],
    ['Friday + 3 → Wednesday', '2026-03-06', 3, weekdays, '2026-03-11'],
    ['0 on a business day is that day', '2026-03-04', 0, weekdays, '2026-03-04'],
    ['0 on a Saturday is the next Monday', '2026-03-07', 0, weekdays, '2026-03-09'],
    ['0 on a holiday is the next business day', '2026-12-25', 0, weekdays, '2026-12-28'],
    ['a six-day week makes Saturday a business day', '2026-03-06', 1, { businessDays: [1, 2, 3, 4, 5, 6], holidays: [] }, '2026-03-07'],
  ])('%s', (_name, date, n, cal, expected) => {
    expect(addBusinessDays(date, n, cal)).toBe(expected);
  });

  it('says what is wrong with a bad date or count', () => {
    expect(() => addBusinessDays('2026-02-30', 1, weekdays)).toThrow(/2026-02-30/);
    expect(() => addBusinessDays('2026-03-02', -1, weekdays)).toThrow(/≥ 0/);
  });
});
