import fs from 'node:fs';
import path from 'node:path';
import type { MetaDb } from './meta-db';
import { sqlDir } from '../paths';

/** Numbered DDL files (`sql/0001_*.sql` ...), applied in order, each once. */
export function migrationFiles(dir = sqlDir): string[] {
  return fs.readdirSync(dir).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort();
}

/** Split a DDL file into statements (files hold no procedures, so `;` at line end separates). */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

/**
 * Apply every migration not yet recorded in `goshift_schema_migrations`.
 * @returns the file names applied by this call
 */
export async function migrate(db: MetaDb, dir = sqlDir): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS goshift_schema_migrations (
    version VARCHAR(100) NOT NULL PRIMARY KEY,
    applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  const [rows] = await db.query('SELECT version FROM goshift_schema_migrations');
  const done = new Set((rows as { version: string }[]).map((r) => r.version));
  const applied: string[] = [];
  for (const file of migrationFiles(dir)) {
    if (done.has(file)) continue;
    for (const statement of splitStatements(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      await db.query(statement);
    }
    await db.query('INSERT INTO goshift_schema_migrations (version) VALUES (?)', [file]);
    applied.push(file);
  }
  return applied;
}
