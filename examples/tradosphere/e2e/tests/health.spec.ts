import { expect, test } from '@playwright/test';
import { API_BASE_URL } from '../env';

test.describe('health endpoints', () => {
  test('web /api/health answers ok', { tag: '@smoke' }, async ({ request }) => {
    const res = await request.get('/api/health');
    expect(res.status()).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: expect.any(String) });
  });

  test('api /health answers ok', async ({ request }) => {
    const res = await request.get(`${API_BASE_URL}/health`);
    expect(res.status()).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: expect.any(String) });
  });
});
