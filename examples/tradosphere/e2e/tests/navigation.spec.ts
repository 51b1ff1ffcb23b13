import { expect, test } from '@playwright/test';
import { API_BASE_URL } from '../env';

test.describe('navigation', () => {
  test('goes back from a market page to the list', async ({ page }) => {
    await page.goto('/markets/SOL-USD');
    await page.getByTestId('back-link').click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('market-list')).toBeVisible();
  });

  test('the brand link leads home from the 404 page', async ({ page }) => {
    await page.goto('/markets/UNKNOWN');
    await page.getByTestId('brand-link').click();
    await expect(page.getByRole('heading', { level: 1, name: 'TradoSphere' })).toBeVisible();
  });

  test('shows as many markets as the API lists', async ({ page, request }) => {
    const api = (await (await request.get(`${API_BASE_URL}/markets`)).json()) as unknown[];
    await page.goto('/');
    await expect(page.getByTestId('market-item')).toHaveCount(api.length);
  });

  test('stays usable on a phone-sized screen', async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto('/');
    const first = page.getByTestId('market-item').first();
    await expect(first.getByTestId('market-symbol')).toBeVisible();
    await expect(first.getByTestId('market-price')).toBeVisible();
    await expect(first.getByTestId('market-name')).toBeHidden();
  });
});
