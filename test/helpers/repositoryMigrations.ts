/**
 * Every migration file in the repository, found by the tests themselves (not by store/migrate.ts, which
 * they check): the store's folder and each data type's, in version order.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function repositoryMigrations(): { name: string; file: string }[] {
  const dataTypes = path.join(ROOT, 'dataTypes');
  const folders = [
    path.join(ROOT, 'store', 'migrations'),
    ...readdirSync(dataTypes, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dataTypes, e.name)),
  ];
  return folders
    .flatMap((folder) => readdirSync(folder).map((name) => ({ name, file: path.join(folder, name) })))
    .filter((m) => /^\d+_.+\.sql$/.test(m.name))
    .sort((a, b) => Number.parseInt(a.name, 10) - Number.parseInt(b.name, 10));
}
