import { expect, test } from '@playwright/test';
import { API_BASE_URL, SEEDED_MARKETS } from '../env';

test.describe('markets API', () => {
  test('lists the seeded markets', async ({ request }) => {
    const res = await request.get(`${API_BASE_URL}/markets`);
    expect(res.status()).toBe(200);
    expect(['hit', 'miss']).toContain(res.headers()['x-cache']);
    const body = (await res.json()) as Array<{ symbol: string; name: string; price: number }>;
    for (const market of SEEDED_MARKETS) {
      expect(body).toContainEqual({
        symbol: market.symbol,
        name: market.name,
        price: market.price,
      });
    }
  });

  test('serves repeated list requests from the cache', async ({ request }) => {
    await request.get(`${API_BASE_URL}/markets`);
    await expect
      .poll(async () => (await request.get(`${API_BASE_URL}/markets`)).headers()['x-cache'], {
        timeout: 10_000,
      })
      .toBe('hit');
  });

  test('returns one market and 404 for unknown symbols', async ({ request }) => {
    const found = await request.get(`${API_BASE_URL}/markets/TSLA`);
    expect(found.status()).toBe(200);
    expect(await found.json()).toEqual({ symbol: 'TSLA', name: 'Tesla, Inc.', price: 248.5 });

    const missing = await request.get(`${API_BASE_URL}/markets/NOPE-USD`);
    expect(missing.status()).toBe(404);
  });
});
