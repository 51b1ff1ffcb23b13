/** A tradable instrument as served by the API and shown by the web app. */
export interface Market {
  /** Ticker, upper case, e.g. "BTC-USD" or "AAPL". */
  symbol: string;
  /** Human readable name, e.g. "Bitcoin / US Dollar". */
  name: string;
  /** Last price in the quote currency. */
  price: number;
}

/** Body of `GET /health` on both apps. */
export interface HealthStatus {
  status: 'ok';
  /** The release this process runs (RELEASE_VERSION), or "dev" outside a deploy. */
  version: string;
}

/** Whether a `GET /markets` answer came from the cache or the database. */
export type CacheStatus = 'hit' | 'miss';

export const MARKETS_CACHE_KEY = 'markets:all';
export const MARKETS_CACHE_TTL_SECONDS = 30;
