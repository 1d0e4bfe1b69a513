/**
 * Versioned migrations, applied in order at start. Each file runs once, in its own transaction.
 *
 * A migration is a file `NNN_name.sql` in the store's own folder (store/migrations/: the tables every data
 * type shares, and changes that touch several types) or in a data type's folder (dataTypes/<type>/: the
 * type's own tables), so a data type carries its schema with it. Wherever it sits, a migration is known by
 * its version and file name alone (schema_migrations), and all are applied in one order of versions: a
 * version is given once across every folder.
 *
 * The folders are found beside this module, so the same code finds them in the repository (run with tsx)
 * and in the built package (dist/store/migrations/, dist/dataTypes/<type>/: scripts/build.ts copies every
 * file migrationFiles lists to the same place under dist/).
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { MIGRATION_LOCK } from './locks';

/** The folder holding store/ and dataTypes/: the repository, or dist/ in the built package. */
export const MIGRATIONS_ROOT = fileURLToPath(new URL('../', import.meta.url));
const STORE_MIGRATIONS = path.join(MIGRATIONS_ROOT, 'store', 'migrations');
const DATA_TYPES = path.join(MIGRATIONS_ROOT, 'dataTypes');

const MIGRATION_FILE = /^\d+_.+\.sql$/;

/** The folders migrations are read from: the store's, then each data type's. */
export function migrationFolders(): string[] {
  const types = readdirSync(DATA_TYPES, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(DATA_TYPES, e.name))
    .sort();
  return [STORE_MIGRATIONS, ...types];
}

export interface MigrationFile {
  version: number;
  /** The file name, as schema_migrations records it. */
  name: string;
  /** Where it is, for reading it. */
  file: string;
}

/** A migration's place as a reader finds it: relative to the repository (or dist/) when inside it. */
const shown = (file: string): string => {
  const rel = path.relative(MIGRATIONS_ROOT, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
};

/**
 * Every migration in `folders`, in version order. Two files with one version are refused, whichever folders
 * they are in: which of them a store has applied would depend on the order the folders were read.
 */
export function migrationFiles(folders: readonly string[] = migrationFolders()): MigrationFile[] {
  const byVersion = new Map<number, MigrationFile>();
  for (const folder of folders) {
    for (const name of readdirSync(folder).filter((f) => MIGRATION_FILE.test(f))) {
      const m: MigrationFile = { version: Number.parseInt(name, 10), name, file: path.join(folder, name) };
      const other = byVersion.get(m.version);
      if (other) {
        const [a, b] = [shown(other.file), shown(m.file)].sort();
        throw new Error(
          `migrations ${a} and ${b} both have version ${m.version}: each migration needs a version of its own (renumber the newer one)`,
        );
      }
      byVersion.set(m.version, m);
    }
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

export interface MigrateOptions {
  /** Apply only the migrations numbered below it (a test's store as an older version left it). */
  before?: number;
  /** The folders to read migrations from (default: migrationFolders()); tests add a data type's own. */
  folders?: readonly string[];
}

/** Applies the migrations the store has not applied yet; returns their file names, in the order applied. */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<string[]> {
  // Listed before the store is touched: a duplicate version fails the start, having changed nothing.
  const files = migrationFiles(options.folders);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    // One migrator at a time, even with several workers starting together.
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await client.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version as number),
    );
    for (const { version, name, file } of files) {
      if (done.has(version) || (options.before !== undefined && version >= options.before)) continue;
      const sql = await readFile(file, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, name]);
        await client.query('COMMIT');
        applied.push(name);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** The newest migration applied, and how many are. */
export async function schemaVersion(pool: pg.Pool): Promise<{ v: number; n: string }> {
  return (await pool.query('SELECT max(version) AS v, count(*) AS n FROM schema_migrations')).rows[0] as {
    v: number;
    n: string;
  };
}
