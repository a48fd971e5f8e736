/**
 * Deal values in the firm currency (docs/policy.md §2: tier thresholds are in the firm currency).
 * `policy.currencyRates[X]` = how many firm-currency units one unit of X is worth.
 */
export interface CurrencyPolicy {
  currency: string;
  currencyRates: Readonly<Record<string, number>>;
}

/**
 * A value converted to the firm currency, or null when the currency has no rate (the caller reports it).
 * A deal without a currency is taken to be in the firm currency; a deal without a value is worth 0.
 */
export function toFirmCurrency(value: number | null, currency: string | null, policy: CurrencyPolicy): number | null {
  const amount = value ?? 0;
  const code = (currency ?? policy.currency).trim().toUpperCase();
  if (code === policy.currency) return amount;
  const rate = policy.currencyRates[code];
  return rate === undefined ? null : amount * rate;
}

/** `-1234567.89` (toFixed(2) of a finite number below 1e15) → `-1,234,567.89`; `.00` is left out. */
function groupedAmount(fixed: string): string {
  const dot = fixed.length - 3;
  const start = fixed.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  let out = fixed.slice(0, start);
  for (let i = start; i < dot; i += 1) {
    if (i > start && (dot - i) % 3 === 0) out += ',';
    out += fixed[i];
  }
  const frac = fixed.slice(dot + 1);
  return frac === '00' ? out : `${out}.${frac}`;
}

/** `1234567.891` → `1,234,567.89` without Intl (a NumberFormat per call costs more than the rules themselves). */
export function formatAmount(value: number): string {
  // Plain digits below 1e15 (toFixed writes larger numbers, NaN and infinities otherwise): grouped by hand.
  if (Number.isFinite(value) && Math.abs(value) < 1e15) return groupedAmount((Math.round(value * 100) / 100).toFixed(2));
  const fixed = (Math.round(value * 100) / 100).toFixed(2);
  const [int = '0', frac = '00'] = fixed.split('.');
  const sign = int.startsWith('-') ? '-' : '';
  const digits = sign ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${frac === '00' ? '' : `.${frac}`}`;
}
