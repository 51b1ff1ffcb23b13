import type { QueryResult, QueryResultRow } from 'pg';
import type { Queryable } from '../database/database';
import { MarketsRepository, toMarket, type MarketRow } from './markets.repository';

function fakeDb(rows: MarketRow[]) {
  const calls: Array<{ text: string; values?: unknown[] }> = [];
  const db: Queryable = {
    async query<R extends QueryResultRow>(text: string, values?: unknown[]) {
      calls.push({ text, values });
      return { rows } as unknown as QueryResult<R>;
    },
  };
  return { db, calls };
}

describe('toMarket', () => {
  it('converts the numeric price column to a number', () => {
    expect(toMarket({ symbol: 'SOL-USD', name: 'Solana', price: '145.2300' })).toEqual({
      symbol: 'SOL-USD',
      name: 'Solana',
      price: 145.23,
    });
  });
});

describe('MarketsRepository', () => {
  it('uses a parameterised query for one symbol', async () => {
    const { db, calls } = fakeDb([{ symbol: 'AAPL', name: 'Apple Inc.', price: '190.12' }]);
    const market = await new MarketsRepository(db).findBySymbol('AAPL');
    expect(market).toEqual({ symbol: 'AAPL', name: 'Apple Inc.', price: 190.12 });
    expect(calls[0].values).toEqual(['AAPL']);
    expect(calls[0].text).toContain('$1');
  });

  it('returns null when no row matches', async () => {
    const { db } = fakeDb([]);
    await expect(new MarketsRepository(db).findBySymbol('NOPE')).resolves.toBeNull();
  });
});
