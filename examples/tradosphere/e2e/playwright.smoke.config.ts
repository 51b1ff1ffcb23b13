import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { chromiumLaunchOptions, ROOT } from './env';

/**
 * Smoke tests (tagged @smoke) against an already deployed web app at
 * BASE_URL. No server is started.
 */
const baseURL = process.env.BASE_URL;
if (!baseURL) {
  throw new Error('BASE_URL is required for smoke tests, e.g. BASE_URL=https://staging.example');
}

export default defineConfig({
  testDir: './tests',
  grep: /@smoke/,
  fullyParallel: true,
  retries: process.env.CI ? 2 : 0,
  timeout: 30_000,
  outputDir: path.join(ROOT, 'test-results/smoke/output'),
  reporter: [
    ['list'],
    ['junit', { outputFile: path.join(ROOT, 'test-results/smoke/junit.xml') }],
    ['html', { outputFolder: path.join(ROOT, 'playwright-report/smoke'), open: 'never' }],
  ],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'], launchOptions: chromiumLaunchOptions },
    },
  ],
});
