import { expect, test } from '@playwright/test';

test.describe('market page', () => {
  test('opens from the home page list', async ({ page }) => {
    await page.goto('/');
    await page
      .locator('[data-testid="market-item"][data-symbol="BTC-USD"]')
      .getByTestId('market-link')
      .click();
    await expect(page).toHaveURL(/\/markets\/BTC-USD$/);
    await expect(page.getByTestId('market-symbol')).toHaveText('BTC-USD');
    await expect(page.getByTestId('market-price')).toHaveText('$64,250.50');
  });

  test('accepts a lower-case symbol in the URL', async ({ page }) => {
    const response = await page.goto('/markets/eth-usd');
    expect(response?.status()).toBe(200);
    await expect(page.getByTestId('market-symbol')).toHaveText('ETH-USD');
    await expect(page.getByTestId('market-name')).toHaveText('Ether / US Dollar');
    await expect(page).toHaveTitle('ETH-USD · TradoSphere');
  });

  test('answers 404 for an unknown market', async ({ page }) => {
    const response = await page.goto('/markets/NOPE-USD');
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId('not-found')).toBeVisible();
  });
});
