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

/** `1234567.891` → `1,234,567.89` without Intl (a NumberFormat per call costs more than the rules themselves). */
export function formatAmount(value: number): string {
  const fixed = (Math.round(value * 100) / 100).toFixed(2);
  const [int = '0', frac = '00'] = fixed.split('.');
  const sign = int.startsWith('-') ? '-' : '';
  const digits = sign ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${frac === '00' ? '' : `.${frac}`}`;
}
