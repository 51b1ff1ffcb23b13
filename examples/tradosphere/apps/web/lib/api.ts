import { normalizeSymbol, type Market } from '@tradosphere/shared';

export const DEFAULT_API_URL = 'http://localhost:4000';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Raised when the API answers with an unexpected status or body. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Base URL of the TradoSphere API from API_URL, without a trailing slash. */
export function apiBaseUrl(env: Record<string, string | undefined> = process.env): string {
  const raw = env.API_URL?.trim();
  return (raw && raw.length > 0 ? raw : DEFAULT_API_URL).replace(/\/+$/, '');
}

function isMarket(value: unknown): value is Market {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const m = value as Record<string, unknown>;
  return (
    typeof m.symbol === 'string' &&
    typeof m.name === 'string' &&
    typeof m.price === 'number' &&
    Number.isFinite(m.price)
  );
}

/** Checks the shape of a `GET /markets` body. */
export function parseMarkets(body: unknown): Market[] {
  if (!Array.isArray(body) || !body.every(isMarket)) {
    throw new ApiError('The API returned a malformed market list');
  }
  return body.map(({ symbol, name, price }) => ({ symbol, name, price }));
}

export async function fetchMarkets(
  fetchImpl: FetchLike = fetch,
  baseUrl: string = apiBaseUrl(),
): Promise<Market[]> {
  const res = await fetchImpl(`${baseUrl}/markets`, { cache: 'no-store' });
  if (!res.ok) {
    throw new ApiError(`GET /markets failed with ${res.status}`, res.status);
  }
  return parseMarkets(await res.json());
}

/** One market, or null when the API does not know the symbol. */
export async function fetchMarket(
  symbol: string,
  fetchImpl: FetchLike = fetch,
  baseUrl: string = apiBaseUrl(),
): Promise<Market | null> {
  const path = `/markets/${encodeURIComponent(normalizeSymbol(symbol))}`;
  const res = await fetchImpl(`${baseUrl}${path}`, { cache: 'no-store' });
  if (res.status === 404) {
    return null;
  }
  if (!res.ok) {
    throw new ApiError(`GET ${path} failed with ${res.status}`, res.status);
  }
  const body: unknown = await res.json();
  if (!isMarket(body)) {
    throw new ApiError(`The API returned a malformed market for ${symbol}`);
  }
  return { symbol: body.symbol, name: body.name, price: body.price };
}
