/** formatAmount groups digits by hand (it runs for every client's tier detail); it must write what the regex version wrote. */
import { describe, expect, it } from 'vitest';
import { formatAmount } from '../../../src/rules/currency.js';

/** The implementation before #18's speed-ups. */
function formatAmountByRegex(value: number): string {
  const fixed = (Math.round(value * 100) / 100).toFixed(2);
  const [int = '0', frac = '00'] = fixed.split('.');
  const sign = int.startsWith('-') ? '-' : '';
  const digits = sign ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${frac === '00' ? '' : `.${frac}`}`;
}

describe('formatAmount', () => {
  it('reads as before', () => {
    expect(formatAmount(1234567.891)).toBe('1,234,567.89');
    expect(formatAmount(-1000)).toBe('-1,000');
    expect(formatAmount(999.995)).toBe(formatAmountByRegex(999.995));
  });

  it('writes what the regex version wrote, for edge values and 20,000 seeded ones of every magnitude', () => {
    const values = [0, -0, 1, -1, 0.004, 0.005, -0.005, -0.001, 999.995, 1000, 123456.789, -9999999.99, 1e14 + 0.12, 999_999_999_999_999, 1e15, 1e21, -1e21, Number.NaN, Infinity, -Infinity, 0.1 + 0.2, 5e-7];
    let seed = 20260310;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 20_000; i += 1) values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 17));
    for (const v of values) expect(formatAmount(v), String(v)).toBe(formatAmountByRegex(v));
  });
});
