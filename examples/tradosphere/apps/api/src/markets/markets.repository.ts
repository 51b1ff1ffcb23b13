import { Inject, Injectable } from '@nestjs/common';
import type { Market } from '@tradosphere/shared';
import { PG_POOL, type Queryable } from '../database/database';

/** A row of the `markets` table; `numeric` columns arrive as strings. */
export interface MarketRow {
  symbol: string;
  name: string;
  price: string;
}

export function toMarket(row: MarketRow): Market {
  return { symbol: row.symbol, name: row.name, price: Number(row.price) };
}

@Injectable()
export class MarketsRepository {
  constructor(@Inject(PG_POOL) private readonly db: Queryable) {}

  async findAll(): Promise<Market[]> {
    const result = await this.db.query<MarketRow>(
      'SELECT symbol, name, price FROM markets ORDER BY symbol',
    );
    return result.rows.map(toMarket);
  }

  async findBySymbol(symbol: string): Promise<Market | null> {
    const result = await this.db.query<MarketRow>(
      'SELECT symbol, name, price FROM markets WHERE symbol = $1',
      [symbol],
    );
    return result.rows.length > 0 ? toMarket(result.rows[0]) : null;
  }
}
