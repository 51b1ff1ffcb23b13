import Redis from 'ioredis';

/** Injection token of the Redis client. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** The Redis commands the cache uses; lets tests pass a fake. */
export interface CacheClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'EX', seconds: number): Promise<unknown>;
}

export function createRedis(redisUrl: string): Redis {
  return new Redis(redisUrl, {
    // Connected explicitly at start-up so that a wrong REDIS_URL fails fast.
    lazyConnect: true,
    maxRetriesPerRequest: 2,
  });
}
