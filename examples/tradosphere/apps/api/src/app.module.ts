import { Module, type DynamicModule } from '@nestjs/common';
import { createRedis, REDIS_CLIENT } from './cache/redis';
import type { ApiConfig } from './config/env';
import { Connections } from './connections';
import { createPool, PG_POOL } from './database/database';
import { HealthController } from './health/health.controller';
import { MarketsCache } from './markets/markets.cache';
import { MarketsController } from './markets/markets.controller';
import { MarketsRepository } from './markets/markets.repository';
import { MarketsService } from './markets/markets.service';

export const API_CONFIG = Symbol('API_CONFIG');

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, MarketsController],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: PG_POOL, useFactory: () => createPool(config.databaseUrl) },
        { provide: REDIS_CLIENT, useFactory: () => createRedis(config.redisUrl) },
        Connections,
        MarketsRepository,
        MarketsCache,
        MarketsService,
      ],
    };
  }
}
