/**
 * Migrations in the store's folder and in the data types' folders, applied as one sequence of versions.
 * What is expected comes from outside the migrator: the store is compared, in Postgres's own catalogue,
 * with a store built by applying the same files by hand in version order (as they were when they all sat
 * in store/migrations/), and the rows schema_migrations holds are the names and versions the store had then.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrationFiles, migrationFolders } from '../store/migrate';
import { createPool } from '../store/store';
import { freshDatabase } from './helpers/harness';
import { repositoryMigrations } from './helpers/repositoryMigrations';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** schema_migrations as every store migrated before data types held migrations has it: version, name. */
const ONE_FOLDER_MIGRATIONS = [
  '001_core.sql',
  '002_data.sql',
  '010_api.sql',
  '011_streams.sql',
  '020_event_dedup_key_first.sql',
  '030_imported_files.sql',
  '040_backfills.sql',
  '050_event_memory_one_key.sql',
  '051_events_user_hash.sql',
  '052_identity_epoch.sql',
  '053_segment_snapshots.sql',
  '054_person_splits.sql',
  '060_source_order.sql',
  '064_run_warnings.sql',
  '070_event_memory_in_events.sql',
];

/** The store's schema as Postgres's catalogue describes it (schema_migrations aside). */
async function catalogue(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    relations: await q(`SELECT relname, relkind FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relname NOT LIKE 'schema_migrations%' ORDER BY 1`),
    columns: await q(`SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
      ORDER BY 1, 3`),
    constraints: await q(`SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'schema_migrations'
      ORDER BY 1, 2`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1, 2`),
    functions: await q(`SELECT proname, prokind, pg_get_function_identity_arguments(oid) AS args,
        CASE WHEN prokind = 'a' THEN NULL ELSE pg_get_functiondef(oid) END AS def
      FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1, 3`),
    aggregates: await q(`SELECT aggfnoid::regproc::text AS agg, aggtransfn::regproc::text AS sfunc, agginitval
      FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = 'public'::regnamespace`),
    views: await q(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1`),
    triggers: await q(`SELECT tgrelid::regclass::text AS rel, tgname, pg_get_triggerdef(oid) AS def
      FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    sequences: await q(`SELECT sequencename, data_type, start_value, increment_by
      FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`),
    storeEpochs: await q('SELECT name, epoch FROM store_epochs ORDER BY 1'),
  };
}

const pools: pg.Pool[] = [];
const temps: string[] = [];
async function freshPool(prefix: string): Promise<pg.Pool> {
  const pool = createPool(await freshDatabase(prefix), 2);
  pools.push(pool);
  return pool;
}
function tempFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-migrations-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('the store and the data types hold migrations', () => {
  let migrated: pg.Pool;
  beforeAll(async () => {
    migrated = await freshPool('mig_split');
    await migrate(migrated);
  });

  it('ends with the schema the same files give applied by hand in version order from one folder', async () => {
    const files = repositoryMigrations();
    // At least one data type holds its own migrations, so the test compares the two layouts.
    expect(files.some((f) => path.relative(ROOT, f.file).startsWith('dataTypes'))).toBe(true);
    const reference = await freshPool('mig_ref');
    for (const f of files) await reference.query(readFileSync(f.file, 'utf8'));
    const [got, want] = await Promise.all([catalogue(migrated), catalogue(reference)]);
    expect(got.relations!.length).toBeGreaterThan(15);
    expect(got).toEqual(want);
  });

  it('records each migration by its version and file name, as a store migrated from one folder has them', async () => {
    const rows = (await migrated.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows;
    const expected = repositoryMigrations().map((f) => ({ version: Number.parseInt(f.name, 10), name: f.name }));
    expect(rows).toEqual(expected);
    // The names a store migrated before keep their versions: none was renamed or renumbered.
    expect(rows.slice(0, ONE_FOLDER_MIGRATIONS.length).map((r) => r.name)).toEqual(ONE_FOLDER_MIGRATIONS);
  });

  it('applies nothing to a store migrated from the files all in one folder', async () => {
    const flat = tempFolder();
    for (const f of repositoryMigrations()) writeFileSync(path.join(flat, f.name), readFileSync(f.file));
    const old = await freshPool('mig_flat');
    expect(await migrate(old, { folders: [flat] })).toEqual(repositoryMigrations().map((f) => f.name));
    expect(await migrate(old)).toEqual([]);
  });

  it('keeps `before`: a store left at an older version, then brought up to date in version order', async () => {
    const pool = await freshPool('mig_before');
    const names = repositoryMigrations().map((f) => f.name);
    const older = await migrate(pool, { before: 52 });
    expect(older).toEqual(names.filter((n) => Number.parseInt(n, 10) < 52));
    // The activity's own 050 and 051 are among them, between the store's 040 and 052.
    expect(older.slice(-3)).toEqual(['040_backfills.sql', '050_event_memory_one_key.sql', '051_events_user_hash.sql']);
    expect(await migrate(pool)).toEqual(names.filter((n) => Number.parseInt(n, 10) >= 52));
  });
});

describe("a data type's own folder", () => {
  it("is applied in the one order of versions, between the store folder's migrations", async () => {
    const widget = path.join(tempFolder(), 'widget');
    mkdirSync(widget);
    writeFileSync(
      path.join(widget, '065_widgets.sql'),
      'CREATE TABLE widgets (import_id text NOT NULL, id text NOT NULL, run_id bigint NOT NULL, PRIMARY KEY (import_id, id));\n',
    );
    // Not a migration: ignored.
    writeFileSync(path.join(widget, 'widget.ts'), 'export {};\n');
    const pool = await freshPool('mig_widget');
    const applied = await migrate(pool, { folders: [...migrationFolders(), widget] });
    expect(applied.indexOf('065_widgets.sql')).toBe(applied.indexOf('064_run_warnings.sql') + 1);
    expect(applied.indexOf('070_event_memory_in_events.sql')).toBe(applied.indexOf('065_widgets.sql') + 1);
    expect((await pool.query("SELECT to_regclass('public.widgets')::text AS t")).rows[0].t).toBe('widgets');
    expect((await pool.query('SELECT name FROM schema_migrations WHERE version = 65')).rows).toEqual([
      { name: '065_widgets.sql' },
    ]);
  });

  it('may not reuse a version: the start is refused, naming both files, before the store is touched', async () => {
    const widget = path.join(tempFolder(), 'widget');
    mkdirSync(widget);
    const clash = path.join(widget, '070_widgets.sql');
    writeFileSync(clash, 'CREATE TABLE widgets (id text);\n');
    const pool = await freshPool('mig_clash');
    await expect(migrate(pool, { folders: [...migrationFolders(), widget] })).rejects.toThrow(
      `migrations ${clash} and dataTypes/activity/070_event_memory_in_events.sql both have version 70`,
    );
    expect((await pool.query("SELECT to_regclass('public.schema_migrations') AS t")).rows[0].t).toBeNull();
  });

  it('may not reuse a version of the store folder either, and leading zeros do not make it another', () => {
    const a = tempFolder();
    const b = tempFolder();
    writeFileSync(path.join(a, '007_one.sql'), 'SELECT 1;\n');
    writeFileSync(path.join(b, '7_other.sql'), 'SELECT 1;\n');
    let message = '';
    try {
      migrationFiles([a, b]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(path.join(a, '007_one.sql'));
    expect(message).toContain(path.join(b, '7_other.sql'));
    expect(message).toContain('both have version 7: each migration needs a version of its own');
    expect(() => migrationFiles([...migrationFolders(), a])).not.toThrow();
  });
});
