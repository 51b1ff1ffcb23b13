import {
  formatPrice,
  isValidSymbol,
  normalizeSymbol,
  priceChangePercent,
  sortBySymbol,
} from './format';

describe('normalizeSymbol', () => {
  it('trims and upper-cases', () => {
    expect(normalizeSymbol('  btc-usd ')).toBe('BTC-USD');
  });
});

describe('isValidSymbol', () => {
  it.each(['AAPL', 'btc-usd', 'SOL-USD', 'TSLA'])('accepts %s', (symbol) => {
    expect(isValidSymbol(symbol)).toBe(true);
  });

  it.each(['', 'BTC_USD', 'A-B-C', 'DROP TABLE', 'WAYTOOLONGSYMBOL'])('rejects %p', (symbol) => {
    expect(isValidSymbol(symbol)).toBe(false);
  });
});

describe('formatPrice', () => {
  it('formats prices with two decimals and grouping', () => {
    expect(formatPrice(64250.5)).toBe('$64,250.50');
  });

  it('keeps more decimals for prices below one', () => {
    expect(formatPrice(0.123456)).toBe('$0.123456');
    expect(formatPrice(0.5)).toBe('$0.50');
  });

  it('supports other currencies', () => {
    expect(formatPrice(10, 'EUR')).toBe('€10.00');
  });

  it('rejects non-finite prices', () => {
    expect(() => formatPrice(Number.NaN)).toThrow(RangeError);
  });
});

describe('priceChangePercent', () => {
  it('computes a rise', () => {
    expect(priceChangePercent(100, 112.5)).toBe(12.5);
  });

  it('computes a fall rounded to two decimals', () => {
    expect(priceChangePercent(3, 2)).toBe(-33.33);
  });

  it('returns null when the previous price is zero', () => {
    expect(priceChangePercent(0, 10)).toBeNull();
  });

  it('rejects non-finite input', () => {
    expect(() => priceChangePercent(Number.POSITIVE_INFINITY, 1)).toThrow(RangeError);
  });
});

describe('sortBySymbol', () => {
  it('sorts without mutating the input', () => {
    const input = [{ symbol: 'TSLA' }, { symbol: 'AAPL' }, { symbol: 'ETH-USD' }];
    const sorted = sortBySymbol(input);
    expect(sorted.map((m) => m.symbol)).toEqual(['AAPL', 'ETH-USD', 'TSLA']);
    expect(input[0].symbol).toBe('TSLA');
  });
});
