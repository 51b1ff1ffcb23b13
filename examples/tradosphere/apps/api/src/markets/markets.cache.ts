import { Inject, Injectable, Logger } from '@nestjs/common';
import { MARKETS_CACHE_KEY, MARKETS_CACHE_TTL_SECONDS, type Market } from '@tradosphere/shared';
import { REDIS_CLIENT, type CacheClient } from '../cache/redis';

/**
 * Redis cache of the full market list. Cache errors are logged and treated
 * as a miss so that the API keeps answering from Postgres when Redis is down.
 */
@Injectable()
export class MarketsCache {
  private readonly logger = new Logger(MarketsCache.name);

  constructor(@Inject(REDIS_CLIENT) private readonly redis: CacheClient) {}

  async get(): Promise<Market[] | null> {
    try {
      const raw = await this.redis.get(MARKETS_CACHE_KEY);
      return raw === null ? null : (JSON.parse(raw) as Market[]);
    } catch (err) {
      this.logger.warn(`Reading ${MARKETS_CACHE_KEY} failed: ${(err as Error).message}`);
      return null;
    }
  }

  async set(markets: Market[]): Promise<void> {
    try {
      await this.redis.set(
        MARKETS_CACHE_KEY,
        JSON.stringify(markets),
        'EX',
        MARKETS_CACHE_TTL_SECONDS,
      );
    } catch (err) {
      this.logger.warn(`Writing ${MARKETS_CACHE_KEY} failed: ${(err as Error).message}`);
    }
  }
}
