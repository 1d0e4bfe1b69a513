/**
 * Snowflake and BigQuery connections cut in the middle of a response, against their protocol fakes behind
 * a TCP proxy that destroys the connection after part of a batch's rows arrived (Snowflake: the
 * query-request answer with its inline rows; BigQuery: a getQueryResults page, and the client's own retry
 * of it). The batch fails and is retried from the committed position, every row is loaded exactly once,
 * and the worker stays up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../activities';
import { bigqueryBackingDb, bqUrl, serviceAccount } from './conformance/bigqueryTarget';
import { snowflakeBackingDb } from './conformance/snowflakeTarget';
import { startBigQueryFake } from './fakes/bigqueryFake';
import { startSnowflakeFake } from './fakes/snowflakeFake';
import { type CuttingProxy, startCuttingProxy } from './helpers/cuttingProxy';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { sleep } from './helpers/wait';

const ROWS = 3000;
const CUTS = 3;

interface Target {
  name: string;
  connection: string;
  proxy: CuttingProxy;
  /** Every source row as `id|email|kind`, sorted. */
  lines(): Promise<string[]>;
  /** Bytes of a response beyond any metadata answer but within one batch's rows. */
  cutAfter: number;
  /** Responses cut in a row each time: enough to break through the client's own retries of a request. */
  inARow: number;
  columns: { id: string; email: string; kind: string; updated: string; table: string };
  close(): Promise<void>;
}

const targets: Target[] = [];
let h: Harness;

beforeAll(async () => {
  const sfDb = await snowflakeBackingDb();
  await sfDb.admin.query(
    `CREATE TABLE "PUBLIC"."EV" ("ID" numeric(38,0), "EMAIL" text, "KIND" text, "UPDATED_AT" timestamptz)`,
  );
  await sfDb.admin
    .query(`INSERT INTO "PUBLIC"."EV" SELECT g, 'user-' || (g % 500) || '@x.com', 'sf-' || 'bq-' || (ARRAY['view','click','buy'])[1 + g % 3],
    timestamptz '2026-01-01' + (g / 10) * interval '1 second' FROM generate_series(1, ${ROWS}) g`);
  const sf = await startSnowflakeFake({
    postgresUrl: sfDb.url,
    schema: sfDb.schema,
    users: { tributary: { password: 'pw', roles: ['READER'] } },
  });
  const sfProxy = await startCuttingProxy(Number(new URL(sf.accessUrl).port));
  targets.push({
    name: 'snowflake',
    connection: 'sf',
    proxy: sfProxy,
    cutAfter: 4096,
    inARow: 1,
    columns: { id: 'id', email: 'email', kind: 'kind', updated: 'updated_at', table: 'ev' },
    lines: async () =>
      (
        await sfDb.admin.query<{ l: string }>(`SELECT "ID" || '|' || "EMAIL" || '|' || "KIND" AS l FROM "PUBLIC"."EV"`)
      ).rows
        .map((r) => r.l)
        .sort(),
    close: async () => {
      await sfProxy.close();
      await sf.close();
      await sfDb.admin.end();
    },
  });

  const bqDb = await bigqueryBackingDb();
  await bqDb.admin.query(`CREATE TABLE conf.ev (id bigint, email text, kind text, updated_at timestamptz)`);
  await bqDb.admin
    .query(`INSERT INTO conf.ev SELECT g, 'user-' || (g % 500) || '@x.com', (ARRAY['view','click','buy'])[1 + g % 3],
    timestamptz '2026-01-01' + (g / 10) * interval '1 second' FROM generate_series(1, ${ROWS}) g`);
  const account = serviceAccount('reader@proj.iam.gserviceaccount.com');
  const bq = await startBigQueryFake({
    postgresUrl: bqDb.url,
    project: 'proj',
    accounts: { [account.email]: { publicKey: account.publicKey, canQuery: true } },
  });
  const bqProxy = await startCuttingProxy(Number(new URL(bq.apiEndpoint).port));
  targets.push({
    name: 'bigquery',
    connection: 'bq',
    proxy: bqProxy,
    cutAfter: 4096,
    // The client retries a failed request once (retryOptions.maxRetries: 1): the retry is cut too.
    inARow: 2,
    columns: { id: 'id', email: 'email', kind: 'kind', updated: 'updated_at', table: 'ev' },
    lines: async () =>
      (await bqDb.admin.query<{ l: string }>(`SELECT id || '|' || email || '|' || kind AS l FROM conf.ev`)).rows
        .map((r) => r.l)
        .sort(),
    close: async () => {
      await bqProxy.close();
      await bq.close();
      await bqDb.admin.end();
    },
  });

  const sfUrl = `snowflake://tributary:pw@fakeaccount/FAKE/PUBLIC?warehouse=WH&role=READER&access_url=${encodeURIComponent(`http://127.0.0.1:${sfProxy.port}`)}`;
  h = await createHarness('dropwh', {
    connections: { sf: sfUrl, bq: bqUrl(`http://127.0.0.1:${bqProxy.port}`, account.credentials) },
  });
});
afterAll(async () => {
  await h?.close();
  for (const t of targets) await t.close();
});

const committedRows = async (importId: string): Promise<number> =>
  Number(
    (await h.store.query('SELECT coalesce(sum(rows_read), 0) AS n FROM runs WHERE import_id = $1', [importId])).rows[0]
      .n,
  );

async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`waited 120 s for ${what}`);
    await sleep(20);
  }
}

describe.each(['snowflake', 'bigquery'])('%s fake', (name) => {
  it(`a response cut mid-batch ${CUTS} times: every row loaded exactly once, the worker stays up`, async () => {
    const t = targets.find((x) => x.name === name)!;
    const spec = {
      id: uniqueId(`drop${name}`),
      name: 'dropped',
      dataType: 'activity' as const,
      batchSize: 300,
      source: { connection: t.connection, table: t.columns.table },
      cursor: { column: t.columns.updated, key: t.columns.id, lag: 0 },
      mapping: {
        userId: { column: t.columns.email },
        eventType: { column: t.columns.kind },
        timestamp: { column: t.columns.updated },
        properties: [{ column: t.columns.id, property: 'n', type: 'number' as const }],
      },
    };
    const handle = await h.startImport(spec);
    const result = handle.result() as Promise<RunRecord>;
    let finished = false;
    void result.then(
      () => {
        finished = true;
      },
      () => {
        finished = true;
      },
    );
    for (let i = 0; i < CUTS && !finished; i++) {
      t.proxy.arm(t.inARow, t.cutAfter);
      await until(() => finished || t.proxy.cuts() >= (i + 1) * t.inARow, 'a response to cut');
      const last = await committedRows(spec.id);
      await until(async () => finished || (await committedRows(spec.id)) > last, 'a commit after the cut');
    }
    const run = await result;
    expect(t.proxy.cuts(), 'the import finished before every cut').toBe(CUTS * t.inARow);
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: ROWS, created: ROWS, duplicates: 0, rejected: 0 });
    const stored = await h.store.query<{ l: string }>(
      `SELECT (properties->>'n') || '|' || id_value || '|' || event_type AS l FROM events WHERE import_id = $1`,
      [spec.id],
    );
    expect(stored.rows.map((r) => r.l).sort()).toEqual(await t.lines());
    const { events } = await handle.fetchHistory();
    const retried = events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
    // The cut batches failed (whatever the client retried on its own) and Temporal ran them again.
    expect(retried).toBeGreaterThanOrEqual(1);
    // Each failed as a lost connection (transient, retried as long as it lasts), not as an unknown error.
    const failures = events!
      .filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)
      .map((e) => e.activityTaskStartedEventAttributes!.lastFailure?.applicationFailureInfo?.type);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(new Set(failures)).toEqual(new Set(['SourceUnavailableError']));
    // The worker (this process) is still up and imports (the same rows again: duplicates of the first import's).
    expect(await h.runImport({ ...spec, id: uniqueId('after') })).toMatchObject({
      status: 'succeeded',
      rowsRead: ROWS,
    });
  });
});
