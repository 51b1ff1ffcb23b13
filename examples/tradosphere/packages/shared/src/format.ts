const SYMBOL_PATTERN = /^[A-Z0-9]{1,10}(-[A-Z0-9]{1,10})?$/;

/**
 * Canonical form of a market symbol: trimmed and upper case.
 * `normalizeSymbol(' btc-usd ')` returns `'BTC-USD'`.
 */
export function normalizeSymbol(symbol: string): string {
  return symbol.trim().toUpperCase();
}

/** True for symbols such as `AAPL` or `BTC-USD` (after normalisation). */
export function isValidSymbol(symbol: string): boolean {
  return SYMBOL_PATTERN.test(normalizeSymbol(symbol));
}

/**
 * Formats a price for display. Prices of 1 or more get two decimals,
 * smaller prices keep up to six significant decimals so that cheap
 * assets stay readable.
 */
export function formatPrice(price: number, currency = 'USD'): string {
  if (!Number.isFinite(price)) {
    throw new RangeError(`Cannot format a non-finite price: ${price}`);
  }
  const small = Math.abs(price) > 0 && Math.abs(price) < 1;
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: small ? 6 : 2,
  }).format(price);
}

/**
 * Relative change from `previous` to `current` in percent, rounded to two
 * decimals. Returns `null` when there is no meaningful base (previous is 0).
 */
export function priceChangePercent(previous: number, current: number): number | null {
  if (!Number.isFinite(previous) || !Number.isFinite(current)) {
    throw new RangeError('Prices must be finite numbers');
  }
  if (previous === 0) {
    return null;
  }
  const change = ((current - previous) / Math.abs(previous)) * 100;
  return Math.round(change * 100) / 100;
}

/** Sorts markets by symbol without mutating the input. */
export function sortBySymbol<T extends { symbol: string }>(markets: readonly T[]): T[] {
  return [...markets].sort((a, b) => a.symbol.localeCompare(b.symbol));
}
