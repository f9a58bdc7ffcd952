/**
 * How numbers read in messages to people, the same in the CLI and the extension: counts with
 * thousands separators ("1,484,536") and ratios as percentages ("29%", "2.5%", "<0.1%").
 * English grouping, as every other word of the messages is English for now.
 */

// Made on first use: creating a formatter loads ICU's locale data, measured at about 12 ms of
// the CLI's start-up, which output for programs (--json) never needs.
let count: Intl.NumberFormat | undefined;
let oneDecimal: Intl.NumberFormat | undefined;

/** A whole count with thousands separators: 1484536 → "1,484,536". Non-finite values as "?". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  count ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  return count.format(n);
}

/**
 * A ratio (0..1) as a percentage: "0%" for exactly 0, "<0.1%" for a tiny non-zero share, one
 * decimal below 10 % ("2.5%"), whole numbers above ("29%"), ">99.9%" for nearly all and "100%"
 * only for all. A non-zero share never reads as 0, nor a partial one as 100.
 */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '?%';
  if (ratio <= 0) return '0%';
  if (ratio >= 1) return '100%';
  const pct = ratio * 100;
  if (pct < 0.05) return '<0.1%';
  if (pct >= 99.95) return '>99.9%';
  if (pct < 9.95) {
    oneDecimal ??= new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return `${oneDecimal.format(pct)}%`;
  }
  const whole = Math.round(pct);
  return whole >= 100 ? '>99.9%' : `${whole}%`;
}
