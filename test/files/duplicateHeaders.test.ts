/**
 * A CSV file whose header repeats a name imports with the repeated column renamed (name, name_2), and the
 * run says so: a warning naming the header and the file, on the workflow's result, in the store and in
 * the API's run view.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runView } from '../../api/views';
import { createHarness, type Harness, uniqueId } from '../helpers/harness';
import { tempDir } from './readFile';

let h: Harness;
let dir: string;
beforeAll(async () => {
  dir = await tempDir();
  h = await createHarness('dupheaders', { connections: { files: pathToFileURL(dir).toString() } });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

it('imports a CSV with a repeated header as name and name_2, and the run warns naming the header and the file', async () => {
  await writeFile(path.join(dir, 'people.csv'), 'email,name,Name,name\nann@x.io,Ann,Annie,A.\nbob@x.io,Bob,Bobby,B.\n');
  const spec = {
    id: uniqueId('dup'),
    name: 'people',
    dataType: 'profile' as const,
    source: { connection: 'files', file: { path: 'people.csv', format: 'csv' as const } },
    cursor: { column: '_line', key: '_source' },
    mapping: {
      userId: { column: 'email' },
      idType: { value: 'email' },
      attributes: [{ column: 'name' }, { column: 'Name' }, { column: 'name_2' }],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 2, created: 2, rejected: 0 });
  // `name` and `Name` are distinct names; only the third cell repeats one.
  expect(run.warnings).toEqual([
    'file people.csv: header "name" repeats a column name; that column is imported as name_2',
  ]);

  const profiles = await h.store.query(
    'SELECT id_value, attributes FROM profile_attributes WHERE import_id = $1 ORDER BY id_value',
    [spec.id],
  );
  expect(profiles.rows).toEqual([
    { id_value: 'ann@x.io', attributes: { name: 'Ann', Name: 'Annie', name_2: 'A.' } },
    { id_value: 'bob@x.io', attributes: { name: 'Bob', Name: 'Bobby', name_2: 'B.' } },
  ]);
  const stored = await h.store.query('SELECT * FROM runs WHERE import_id = $1', [spec.id]);
  expect(runView(stored.rows[0]).warnings).toEqual(run.warnings);

  // A header with no repeats leaves the run without warnings.
  await writeFile(path.join(dir, 'plain.csv'), 'email,name\ncy@x.io,Cy\n');
  const plain = await h.runImport({
    ...spec,
    id: uniqueId('plain'),
    source: { connection: 'files', file: { path: 'plain.csv', format: 'csv' as const } },
    mapping: { ...spec.mapping, attributes: [{ column: 'name' }] },
  });
  expect(plain).toMatchObject({ status: 'succeeded', rowsRead: 1, warnings: [] });
});
