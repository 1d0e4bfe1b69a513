/**
 * The dry run and the run share one batch path: a file's dry run predicts exactly the counts and row
 * errors the real run then records (a ragged CSV record included, which the source reports as a row
 * error), empty segment arrays count the same, and a snapshot import's dry run predicts its removals.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRun } from '../engine/dryRun';
import type { ActivityDeps } from '../activities';
import { staticConnections } from '../connectors/connections';
import { createFileConnectors } from '../connectors/files/connectors';
import { importSpec } from '../domain/importSpec';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { testPolicy } from './helpers/testPolicy';

let h: Harness;
let dir: string;
let deps: ActivityDeps;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tributary-dryparity-'));
  h = await createHarness('dryparity', { connections: { files: pathToFileURL(dir).toString() } });
  deps = {
    store: h.store,
    resolveConnection: staticConnections({ files: pathToFileURL(dir).toString() }),
    connectors: createFileConnectors({ policy: testPolicy() }),
  };
}, 120_000);
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

const FILE_CURSOR = { column: '_line', key: '_source' };
const COUNT_FIELDS = [
  'created',
  'updated',
  'unchanged',
  'duplicates',
  'skipped',
  'removed',
  'profilesCreated',
  'rejected',
] as const;

async function storedErrors(importId: string) {
  const r = await h.store.query(
    'SELECT source_key, cursor_value, column_name, value, reason FROM row_errors WHERE import_id = $1 ORDER BY id',
    [importId],
  );
  return r.rows.map((e) => ({
    sourceKey: e.source_key,
    cursor: e.cursor_value,
    column: e.column_name,
    value: e.value,
    reason: e.reason,
  }));
}

describe('a dry run', () => {
  it('of a CSV with a ragged record and a bad value predicts the real run: counts and row errors', async () => {
    await writeFile(
      path.join(dir, 'people.csv'),
      [
        'email,name,age',
        'ann@x.io,Ann,31',
        'bob@x.io,Bob,forty',
        'cy@x.io,Cy', // one field short: the source reports it; mapped, its values would shift
        'dee@x.io,Dee,40,extra',
        'eve@x.io,Eve,29',
        'ann@x.io,Ann,32',
        '',
      ].join('\n'),
    );
    const spec = {
      id: uniqueId('dryprof'),
      name: 'people',
      dataType: 'profile' as const,
      batchSize: 1000,
      source: { connection: 'files', file: { path: 'people.csv', format: 'csv' as const } },
      cursor: FILE_CURSOR,
      mapping: {
        userId: { column: 'email' },
        idType: { value: 'email' },
        attributes: [{ column: 'name' }, { column: 'age', type: 'number' as const }],
      },
    };
    const predicted = await dryRun(deps, importSpec.parse(spec), { sampleSize: 1000, fromPosition: false });
    const run = await h.runImport(spec);
    expect(run).toMatchObject({ rowsRead: 6, rejected: 3 });
    expect(predicted.rowsRead).toBe(run.rowsRead);
    for (const f of COUNT_FIELDS) expect({ [f]: predicted.counts[f] }).toEqual({ [f]: run[f] });
    expect(predicted.rowErrors.map(({ row: _row, ...e }) => e)).toEqual(await storedErrors(spec.id));
    // Nothing of the dry run was kept: the run created every profile itself.
    expect(run).toMatchObject({ created: 2, updated: 1 });
  });

  it("of segments counts empty arrays as the run does, and predicts a snapshot run's removals", async () => {
    const file = path.join(dir, 'audiences.csv');
    await writeFile(file, 'uid,segs\nu1,"[""vip"",""eu""]"\nu2,"[""vip""]"\nu3,"[""churn""]"\nu4,"[]"\n');
    const spec = {
      id: uniqueId('drysnap'),
      name: 'audiences',
      dataType: 'segments' as const,
      sync: 'snapshot' as const,
      batchSize: 2,
      source: { connection: 'files', file: { path: 'audiences.csv', format: 'csv' as const } },
      cursor: FILE_CURSOR,
      mapping: { userId: { column: 'uid' }, segment: { column: 'segs', array: true } },
    };
    const first = await dryRun(deps, importSpec.parse(spec), { sampleSize: 100, fromPosition: true });
    const firstRun = await h.runImport(spec);
    for (const f of COUNT_FIELDS) expect({ [f]: first.counts[f] }).toEqual({ [f]: firstRun[f] });
    expect(firstRun).toMatchObject({ created: 4, unchanged: 1, removed: 0 });

    await writeFile(file, 'uid,segs\nu1,"[""vip""]"\nu3,"[""churn""]"\n');
    const second = await dryRun(deps, importSpec.parse(spec), { sampleSize: 100, fromPosition: true });
    expect(second.snapshotRemoval).toBe('removed');
    const short = await dryRun(deps, importSpec.parse(spec), { sampleSize: 2, fromPosition: true });
    expect(short.snapshotRemoval).toMatch(/not predicted/);
    expect(short.counts.removed).toBe(0);
    const secondRun = await h.runImport(spec);
    expect(secondRun).toMatchObject({ removed: 2, snapshotRemoval: 'removed' });
    for (const f of COUNT_FIELDS) expect({ [f]: second.counts[f] }).toEqual({ [f]: secondRun[f] });
  });
});
