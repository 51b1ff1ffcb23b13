#!/usr/bin/env node
/**
 * Inserts the fixed set of markets that the integration and end-to-end
 * tests expect. Re-running it resets those rows to the same values and
 * leaves any other rows alone.
 *
 * Usage: DATABASE_URL=postgres://... node apps/api/scripts/seed-test.js
 */
'use strict';

const { Client } = require('pg');

const TEST_MARKETS = [
  { symbol: 'AAPL', name: 'Apple Inc.', price: '189.84' },
  { symbol: 'BTC-USD', name: 'Bitcoin / US Dollar', price: '64250.50' },
  { symbol: 'ETH-USD', name: 'Ether / US Dollar', price: '3120.75' },
  { symbol: 'SOL-USD', name: 'Solana / US Dollar', price: '145.23' },
  { symbol: 'TSLA', name: 'Tesla, Inc.', price: '248.50' },
];

async function seed(databaseUrl) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const market of TEST_MARKETS) {
      await client.query(
        `INSERT INTO markets (symbol, name, price) VALUES ($1, $2, $3)
         ON CONFLICT (symbol) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price`,
        [market.symbol, market.name, market.price],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    await client.end();
  }
}

module.exports = { TEST_MARKETS, seed };

if (require.main === module) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('DATABASE_URL is required, e.g. postgres://user:pass@host:5432/db');
    process.exit(1);
  }
  seed(databaseUrl)
    .then(() => console.log(`seeded ${TEST_MARKETS.length} markets`))
    .catch((err) => {
      console.error(`Seeding failed: ${err.message}`);
      process.exit(1);
    });
}
