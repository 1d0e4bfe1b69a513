/**
 * Run under hide.mjs with every optional package hidden: loads the library's entry points (nothing may
 * need an optional package to start), then opens a connection of each kind that needs one, and prints
 * what each open threw as JSON lines for the test to read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const entries = [
  '../../../index',
  '../../../worker',
  '../../../api/plugin',
  '../../../client/index',
  '../../../api/server',
];
for (const e of entries) await import(e);
console.log(JSON.stringify({ loaded: entries.length }));

const { openSource } = await import('../../../engine/deps');
const { createApiConnectors } = await import('../../../connectors/registry');
const { ConfigurationError } = await import('../../../connectors/source');
const { failureKind } = await import('../../../activities/failures');
const { testPolicy } = await import('../testPolicy');
const { FILE_CURSOR, parseImportSpec } = await import('../../../domain/importSpec');
// The file source as a run sees it, its limits filled in by the spec's defaults.
const parquet = parseImportSpec({
  id: 'missing-parquet',
  name: 'parquet',
  dataType: 'profile',
  source: { connection: 'files', file: { path: 'x.parquet', format: 'parquet' } },
  cursor: FILE_CURSOR,
  mapping: { userId: { column: 'email' } },
}).source.file!;

const { connectors, closeAll } = createApiConnectors({ policy: testPolicy() });
const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-missing-'));
writeFileSync(path.join(dir, 'x.parquet'), 'PAR1 not really parquet PAR1');
const urls: Record<string, string> = {
  mysql: 'mysql://reader:s3cret-mysql@127.0.0.1:1/db',
  clickhouse: 'clickhouse://reader:s3cret-ch@127.0.0.1:1/db',
  snowflake: 'snowflake://reader:s3cret-sf@account/db/public?warehouse=wh',
  bigquery: 'bigquery://project/dataset',
  s3: 's3://key:s3cret-s3@bucket/prefix?endpoint=http://127.0.0.1:1',
  sftp: 'sftp://reader:s3cret-sftp@127.0.0.1:1/data',
  file: pathToFileURL(dir).href,
};

const report = (kind: string, err: unknown) => {
  const e = err as Error;
  console.log(
    JSON.stringify({
      kind,
      name: e.name,
      message: e.message,
      configuration: err instanceof ConfigurationError,
      failureKind: failureKind(err),
    }),
  );
};
for (const [kind, url] of Object.entries(urls)) {
  const connection = `wh-${kind}`;
  try {
    const { session } = await openSource(
      { store: null as never, resolveConnection: async () => ({ kind, url }), connectors },
      connection,
    );
    if (kind !== 'file') throw new Error(`opened ${kind} without its package`);
    try {
      await session.columns({ file: parquet });
      throw new Error('read a Parquet file without its package');
    } finally {
      await session.close();
    }
  } catch (err) {
    report(kind, err);
  }
}
await closeAll();
process.exit(0);
