import { expect, test } from '@playwright/test';
import { SEEDED_MARKETS } from '../env';

test.describe('home page', () => {
  test('shows the TradoSphere heading', { tag: '@smoke' }, async ({ page }) => {
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1, name: 'TradoSphere' })).toBeVisible();
    await expect(page).toHaveTitle('TradoSphere');
  });

  test('renders every market with a symbol and a price', { tag: '@smoke' }, async ({ page }) => {
    await page.goto('/');
    await expect(page.getByTestId('markets-error')).toHaveCount(0);
    const items = page.getByTestId('market-item');
    const count = await items.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) {
      await expect(items.nth(i).getByTestId('market-symbol')).not.toBeEmpty();
      await expect(items.nth(i).getByTestId('market-price')).toHaveText(/^\$[\d,]+\.\d{2,6}$/);
    }
  });

  test('lists the seeded markets with formatted prices', async ({ page }) => {
    await page.goto('/');
    for (const market of SEEDED_MARKETS) {
      const item = page.locator(`[data-testid="market-item"][data-symbol="${market.symbol}"]`);
      await expect(item.getByTestId('market-symbol')).toHaveText(market.symbol);
      await expect(item.getByTestId('market-name')).toHaveText(market.name);
      await expect(item.getByTestId('market-price')).toHaveText(market.display);
    }
  });

  test('is rendered on the server', async ({ request }) => {
    const res = await request.get('/');
    const html = await res.text();
    expect(html).toContain('data-testid="market-list"');
    expect(html).toContain('BTC-USD');
  });
});
