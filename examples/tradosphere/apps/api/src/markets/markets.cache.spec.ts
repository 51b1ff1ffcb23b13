import { Logger } from '@nestjs/common';
import { MarketsCache } from './markets.cache';

describe('MarketsCache', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('treats a Redis failure as a miss', async () => {
    const cache = new MarketsCache({
      get: async () => {
        throw new Error('connection refused');
      },
      set: async () => 'OK',
    });
    await expect(cache.get()).resolves.toBeNull();
  });

  it('swallows write failures', async () => {
    const cache = new MarketsCache({
      get: async () => null,
      set: async () => {
        throw new Error('read only replica');
      },
    });
    await expect(cache.set([])).resolves.toBeUndefined();
  });

  it('round-trips the market list as JSON', async () => {
    let stored = '';
    const cache = new MarketsCache({
      get: async () => stored,
      set: async (_key, value) => {
        stored = value;
        return 'OK';
      },
    });
    await cache.set([{ symbol: 'TSLA', name: 'Tesla, Inc.', price: 250.5 }]);
    await expect(cache.get()).resolves.toEqual([
      { symbol: 'TSLA', name: 'Tesla, Inc.', price: 250.5 },
    ]);
  });
});
