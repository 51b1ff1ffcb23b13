import { Pool, type QueryResult, type QueryResultRow } from 'pg';

/** Injection token of the shared Postgres connection pool. */
export const PG_POOL = Symbol('PG_POOL');

/** The part of `pg.Pool` the repositories use; lets tests pass a fake. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
}

export function createPool(databaseUrl: string): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  // An idle client losing its connection must not crash the process; the
  // pool drops it and the next query opens a new one.
  pool.on('error', (err) => {
    console.error(`Postgres pool error: ${err.message}`);
  });
  return pool;
}
