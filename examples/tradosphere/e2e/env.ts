/** Addresses and browser settings shared by the Playwright configs and tests. */
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');

export const WEB_PORT = Number(process.env.WEB_PORT || 3000);
export const API_PORT = Number(process.env.API_PORT || 4000);

/** The API the end-to-end tests call directly (not used by smoke tests). */
export const API_BASE_URL = (process.env.E2E_API_URL || `http://127.0.0.1:${API_PORT}`).replace(
  /\/+$/,
  '',
);

/** Debian's Chromium; Playwright's own browser downloads are not used. */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--headless',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** The seeded test markets (see apps/api/scripts/seed-test.js). */
export const SEEDED_MARKETS = [
  { symbol: 'AAPL', name: 'Apple Inc.', price: 189.84, display: '$189.84' },
  { symbol: 'BTC-USD', name: 'Bitcoin / US Dollar', price: 64250.5, display: '$64,250.50' },
  { symbol: 'ETH-USD', name: 'Ether / US Dollar', price: 3120.75, display: '$3,120.75' },
  { symbol: 'SOL-USD', name: 'Solana / US Dollar', price: 145.23, display: '$145.23' },
  { symbol: 'TSLA', name: 'Tesla, Inc.', price: 248.5, display: '$248.50' },
] as const;
