#!/usr/bin/env node
/**
 * Applies the SQL files of ../migrations in file-name order against
 * DATABASE_URL. Each file runs in its own transaction and is recorded in
 * schema_migrations, so running the script again only applies new files.
 * A Postgres advisory lock keeps two concurrent runs from racing.
 *
 * Usage: DATABASE_URL=postgres://... node apps/api/scripts/migrate.js
 *        MIGRATIONS_DIR overrides the folder (default: ../migrations).
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');

const LOCK_ID = 727_001;

function listMigrations(dir) {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: file.replace(/\.sql$/, ''), file: path.join(dir, file) }));
}

async function migrate({ databaseUrl, dir, log = console.log }) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )
    `);
    const { rows } = await client.query('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const pending = listMigrations(dir).filter((m) => !applied.has(m.version));

    for (const migration of pending) {
      const sql = fs.readFileSync(migration.file, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [
          migration.version,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${migration.version} failed: ${err.message}`);
      }
      log(`applied ${migration.version}`);
    }
    if (pending.length === 0) {
      log('database is up to date');
    }
    return pending.map((m) => m.version);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => undefined);
    await client.end();
  }
}

module.exports = { listMigrations, migrate };

if (require.main === module) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error('DATABASE_URL is required, e.g. postgres://user:pass@host:5432/db');
    process.exit(1);
  }
  const dir = process.env.MIGRATIONS_DIR || path.join(__dirname, '..', 'migrations');
  migrate({ databaseUrl, dir }).catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
