import type { Market } from '@tradosphere/shared';
import { MarketsCache } from './markets.cache';
import { MarketsRepository } from './markets.repository';
import { MarketsService } from './markets.service';

const btc: Market = { symbol: 'BTC-USD', name: 'Bitcoin / US Dollar', price: 64000 };
const aapl: Market = { symbol: 'AAPL', name: 'Apple Inc.', price: 190.12 };

/** In-memory stand-in for Redis with the same get/set contract. */
class MemoryCacheClient {
  readonly store = new Map<string, { value: string; ttl: number }>();
  async get(key: string): Promise<string | null> {
    return this.store.get(key)?.value ?? null;
  }
  async set(key: string, value: string, _mode: 'EX', seconds: number): Promise<'OK'> {
    this.store.set(key, { value, ttl: seconds });
    return 'OK';
  }
}

function setup(rows: Market[]) {
  const repository = {
    findAll: jest.fn(async () => rows),
    findBySymbol: jest.fn(async (symbol: string) => rows.find((m) => m.symbol === symbol) ?? null),
  };
  const client = new MemoryCacheClient();
  const service = new MarketsService(
    repository as unknown as MarketsRepository,
    new MarketsCache(client),
  );
  return { service, repository, client };
}

describe('MarketsService', () => {
  it('reads from the database on a miss and caches with a 30 s TTL', async () => {
    const { service, repository, client } = setup([aapl, btc]);

    const first = await service.listMarkets();

    expect(first).toEqual({ markets: [aapl, btc], cache: 'miss' });
    expect(repository.findAll).toHaveBeenCalledTimes(1);
    expect(client.store.get('markets:all')?.ttl).toBe(30);
  });

  it('serves the second call from the cache', async () => {
    const { service, repository } = setup([aapl, btc]);

    await service.listMarkets();
    const second = await service.listMarkets();

    expect(second).toEqual({ markets: [aapl, btc], cache: 'hit' });
    expect(repository.findAll).toHaveBeenCalledTimes(1);
  });

  it('finds a market case-insensitively', async () => {
    const { service, repository } = setup([aapl, btc]);

    await expect(service.getMarket(' btc-usd')).resolves.toEqual(btc);
    expect(repository.findBySymbol).toHaveBeenCalledWith('BTC-USD');
  });

  it('returns null for unknown symbols', async () => {
    const { service } = setup([aapl]);
    await expect(service.getMarket('DOGE-USD')).resolves.toBeNull();
  });

  it('does not query the database for malformed symbols', async () => {
    const { service, repository } = setup([aapl]);
    await expect(service.getMarket("x'; DROP TABLE markets; --")).resolves.toBeNull();
    expect(repository.findBySymbol).not.toHaveBeenCalled();
  });
});
