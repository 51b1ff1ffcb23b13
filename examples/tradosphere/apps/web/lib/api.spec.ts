import { ApiError, apiBaseUrl, fetchMarket, fetchMarkets, parseMarkets } from './api';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

describe('apiBaseUrl', () => {
  it('defaults to localhost:4000', () => {
    expect(apiBaseUrl({})).toBe('http://localhost:4000');
  });

  it('uses API_URL without trailing slashes', () => {
    expect(apiBaseUrl({ API_URL: 'http://api.internal:8080//' })).toBe('http://api.internal:8080');
  });
});

describe('parseMarkets', () => {
  it('rejects bodies that are not market lists', () => {
    expect(() => parseMarkets({ markets: [] })).toThrow(ApiError);
    expect(() => parseMarkets([{ symbol: 'AAPL', name: 'Apple', price: '1' }])).toThrow(ApiError);
  });
});

describe('fetchMarkets', () => {
  it('requests /markets without caching and returns the list', async () => {
    const calls: Array<[string, RequestInit | undefined]> = [];
    const markets = await fetchMarkets(async (url, init) => {
      calls.push([url, init]);
      return jsonResponse(200, [{ symbol: 'AAPL', name: 'Apple Inc.', price: 189.84 }]);
    }, 'http://api:4000');
    expect(markets).toEqual([{ symbol: 'AAPL', name: 'Apple Inc.', price: 189.84 }]);
    expect(calls).toEqual([['http://api:4000/markets', { cache: 'no-store' }]]);
  });

  it('throws ApiError on a server error', async () => {
    await expect(fetchMarkets(async () => jsonResponse(500, {}), 'http://api')).rejects.toThrow(
      'GET /markets failed with 500',
    );
  });
});

describe('fetchMarket', () => {
  it('normalises the symbol in the request path', async () => {
    let requested = '';
    await fetchMarket(
      ' eth-usd',
      async (url) => {
        requested = url;
        return jsonResponse(200, { symbol: 'ETH-USD', name: 'Ether', price: 3120.75 });
      },
      'http://api',
    );
    expect(requested).toBe('http://api/markets/ETH-USD');
  });

  it('returns null on 404', async () => {
    await expect(
      fetchMarket('NOPE', async () => jsonResponse(404, { message: 'x' }), 'http://api'),
    ).resolves.toBeNull();
  });
});
