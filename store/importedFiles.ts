/**
 * Files a drop folder's runs have taken. A file is recorded as taken by the end of its run, in the store
 * (runs_record_imported_file, migration 030), never by the activity that lists the folder: a file whose run
 * never began is listed again.
 */
import type pg from 'pg';

/** The identities (path and version) of the files the import has taken. */
export async function importedFileIdentities(db: pg.Pool | pg.ClientBase, importId: string): Promise<string[]> {
  return (
    await db.query<{ identity: string }>('SELECT identity FROM imported_files WHERE import_id = $1', [importId])
  ).rows.map((r) => r.identity);
}
