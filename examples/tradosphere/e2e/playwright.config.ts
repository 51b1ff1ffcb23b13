import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { API_PORT, chromiumLaunchOptions, ROOT, WEB_PORT } from './env';

/**
 * End-to-end tests against the built apps, started by scripts/e2e-serve.sh.
 * Shards (`--shard=2/4`) may run at the same time in one checkout, so every
 * output path carries SHARD_INDEX.
 */
const shard = process.env.SHARD_INDEX || 'local';
const shardDir = `shard-${shard}`;

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: process.env.CI ? 2 : undefined,
  timeout: 30_000,
  outputDir: path.join(ROOT, 'test-results/e2e', shardDir, 'output'),
  reporter: [
    ['list'],
    ['junit', { outputFile: path.join(ROOT, 'test-results/e2e', shardDir, 'junit.xml') }],
    ['html', { outputFolder: path.join(ROOT, 'playwright-report', shardDir), open: 'never' }],
  ],
  use: {
    baseURL: `http://127.0.0.1:${WEB_PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'], launchOptions: chromiumLaunchOptions },
    },
  ],
  webServer: {
    command: 'bash scripts/e2e-serve.sh',
    cwd: ROOT,
    url: `http://127.0.0.1:${WEB_PORT}/api/health`,
    // The first shard may have to build both apps; the others wait for it.
    timeout: 15 * 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      WEB_PORT: String(WEB_PORT),
      API_PORT: String(API_PORT),
      NEXT_TELEMETRY_DISABLED: '1',
    },
  },
});
