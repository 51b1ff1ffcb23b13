import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { REDIS_CLIENT } from './cache/redis';
import { PG_POOL } from './database/database';

/**
 * Opens Postgres and Redis at start-up (so a bad URL stops the API with a
 * clear error instead of failing on the first request) and closes them on
 * shutdown.
 */
@Injectable()
export class Connections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(Connections.name);

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
  ) {}

  async onModuleInit(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (err) {
      throw new Error(`Cannot connect to Postgres (DATABASE_URL): ${(err as Error).message}`);
    }
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`Cannot connect to Redis (REDIS_URL): ${(err as Error).message}`);
    }
    this.logger.log('Connected to Postgres and Redis');
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.pool.end(), this.redis.quit()]);
  }
}
