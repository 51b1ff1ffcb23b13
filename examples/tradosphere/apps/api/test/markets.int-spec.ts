import 'reflect-metadata';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Market } from '@tradosphere/shared';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { listMigrations, migrate } from '../scripts/migrate';
import { TEST_MARKETS } from '../scripts/seed-test';
import { AppModule } from '../src/app.module';
import { validateEnv } from '../src/config/env';

// Needs a migrated and seeded database: pnpm db:migrate && pnpm db:seed:test
const config = validateEnv(process.env);
const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');
const TEMP_SYMBOL = 'ZZINTTEST';

let app: INestApplication;
let baseUrl: string;
let pool: Pool;
let redis: Redis;

async function getJson<T>(url: string): Promise<{ status: number; cache: string | null; body: T }> {
  const res = await fetch(`${baseUrl}${url}`);
  return { status: res.status, cache: res.headers.get('x-cache'), body: (await res.json()) as T };
}

beforeAll(async () => {
  app = await NestFactory.create(AppModule.forRoot(config), {
    logger: false,
    abortOnError: false,
  });
  await app.listen(0, '127.0.0.1');
  baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  pool = new Pool({ connectionString: config.databaseUrl });
  redis = new Redis(config.redisUrl);
});

afterAll(async () => {
  await pool?.query('DELETE FROM markets WHERE symbol = $1', [TEMP_SYMBOL]);
  await redis?.del('markets:all');
  await app?.close();
  await pool?.end();
  await redis?.quit();
});

beforeEach(async () => {
  await redis.del('markets:all');
});

describe('GET /health', () => {
  it('answers ok', async () => {
    const res = await getJson<{ status: string; version: string }>('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: process.env.RELEASE_VERSION ?? 'dev' });
  });
});

describe('GET /markets', () => {
  it('returns exactly the rows of the markets table', async () => {
    const { rows } = await pool.query<{ symbol: string; name: string; price: string }>(
      'SELECT symbol, name, price FROM markets ORDER BY symbol',
    );
    const res = await getJson<Market[]>('/markets');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      rows.map((r) => ({ symbol: r.symbol, name: r.name, price: Number(r.price) })),
    );
  });

  it('contains the seeded test markets', async () => {
    const res = await getJson<Market[]>('/markets');
    const symbols = res.body.map((m) => m.symbol);
    for (const market of TEST_MARKETS) {
      expect(symbols).toContain(market.symbol);
    }
  });

  it('misses, then hits the Redis cache with a 30 s TTL', async () => {
    const first = await getJson<Market[]>('/markets');
    expect(first.cache).toBe('miss');

    const ttl = await redis.ttl('markets:all');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);

    const second = await getJson<Market[]>('/markets');
    expect(second.cache).toBe('hit');
    expect(second.body).toEqual(first.body);
  });

  it('keeps serving the cached list until the key is gone', async () => {
    await getJson<Market[]>('/markets');
    await pool.query('INSERT INTO markets (symbol, name, price) VALUES ($1, $2, $3)', [
      TEMP_SYMBOL,
      'Integration test market',
      '1.5',
    ]);
    try {
      const cached = await getJson<Market[]>('/markets');
      expect(cached.cache).toBe('hit');
      expect(cached.body.map((m) => m.symbol)).not.toContain(TEMP_SYMBOL);

      await redis.del('markets:all');
      const fresh = await getJson<Market[]>('/markets');
      expect(fresh.cache).toBe('miss');
      expect(fresh.body).toContainEqual({
        symbol: TEMP_SYMBOL,
        name: 'Integration test market',
        price: 1.5,
      });
    } finally {
      await pool.query('DELETE FROM markets WHERE symbol = $1', [TEMP_SYMBOL]);
    }
  });
});

describe('GET /markets/:symbol', () => {
  it('returns one seeded market, case-insensitively', async () => {
    const res = await getJson<Market>('/markets/btc-usd');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ symbol: 'BTC-USD', name: 'Bitcoin / US Dollar', price: 64250.5 });
  });

  it('answers 404 for an unknown symbol', async () => {
    const res = await getJson<{ statusCode: number; message: string }>('/markets/NOPE-USD');
    expect(res.status).toBe(404);
    expect(res.body.message).toBe('Market NOPE-USD not found');
  });

  it('answers 404 for a malformed symbol', async () => {
    const res = await getJson<{ statusCode: number }>(`/markets/${encodeURIComponent("a';--")}`);
    expect(res.status).toBe(404);
  });
});

describe('schema', () => {
  it('has recorded every migration and re-running applies nothing', async () => {
    const { rows } = await pool.query<{ version: string }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual(
      listMigrations(MIGRATIONS_DIR).map((m) => m.version),
    );
    await expect(
      migrate({ databaseUrl: config.databaseUrl, dir: MIGRATIONS_DIR, log: () => undefined }),
    ).resolves.toEqual([]);
  });

  it('rejects negative prices', async () => {
    await expect(
      pool.query('INSERT INTO markets (symbol, name, price) VALUES ($1, $2, $3)', [
        TEMP_SYMBOL,
        'Negative',
        '-1',
      ]),
    ).rejects.toThrow(/markets_price_non_negative/);
  });
});
