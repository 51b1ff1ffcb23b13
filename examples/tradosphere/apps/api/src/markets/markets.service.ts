import { Injectable } from '@nestjs/common';
import { isValidSymbol, normalizeSymbol, type CacheStatus, type Market } from '@tradosphere/shared';
import { MarketsCache } from './markets.cache';
import { MarketsRepository } from './markets.repository';

export interface MarketList {
  markets: Market[];
  cache: CacheStatus;
}

@Injectable()
export class MarketsService {
  constructor(
    private readonly repository: MarketsRepository,
    private readonly cache: MarketsCache,
  ) {}

  /** All markets, from Redis when cached, else from Postgres (then cached). */
  async listMarkets(): Promise<MarketList> {
    const cached = await this.cache.get();
    if (cached !== null) {
      return { markets: cached, cache: 'hit' };
    }
    const markets = await this.repository.findAll();
    await this.cache.set(markets);
    return { markets, cache: 'miss' };
  }

  /** One market by symbol (case-insensitive), or null if unknown or malformed. */
  async getMarket(symbol: string): Promise<Market | null> {
    if (!isValidSymbol(symbol)) {
      return null;
    }
    return this.repository.findBySymbol(normalizeSymbol(symbol));
  }
}
