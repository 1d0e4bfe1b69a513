/**
 * "The user can write" warnings for Snowflake and BigQuery, against their protocol fakes, which answer the
 * services' documented privilege questions from real grants: the Snowflake fake runs a session's statements
 * under the Postgres role named like its Snowflake role, so INFORMATION_SCHEMA.TABLE_PRIVILEGES and
 * ENABLED_ROLES answer from that role's GRANTs; the BigQuery fake answers tables.testIamPermissions with the
 * permissions an account holds. The warnings appear on the connection test and on the run (runs.warnings).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBigQueryConnector } from '../../connectors/bigquery/bigquerySource';
import { explorerDiscovery } from '../../connectors/explorerDiscovery';
import { createSnowflakeConnector } from '../../connectors/snowflake/snowflakeSource';
import type { Relation, SourceSession } from '../../connectors/source';
import { bigqueryBackingDb, bqUrl, serviceAccount } from '../conformance/bigqueryTarget';
import { snowflakeBackingDb } from '../conformance/snowflakeTarget';
import { type BigQueryFake, startBigQueryFake } from '../fakes/bigqueryFake';
import { type SnowflakeFake, startSnowflakeFake } from '../fakes/snowflakeFake';
import { createHarness, type Harness, uniqueId } from '../helpers/harness';
import { reachingLoopback } from '../helpers/testPolicy';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';

const suffix = randomUUID().replace(/-/g, '').slice(0, 8).toUpperCase();
const READER = `SFREADER_${suffix}`;
const WRITER = `SFWRITER_${suffix}`;

let sfDb: Awaited<ReturnType<typeof snowflakeBackingDb>>;
let sf: SnowflakeFake;
let bqDb: Awaited<ReturnType<typeof bigqueryBackingDb>>;
let bq: BigQueryFake;
let h: Harness;
const reader = serviceAccount('reader@proj.iam.gserviceaccount.com');
const writer = serviceAccount('writer@proj.iam.gserviceaccount.com');
const snowflakeConnector = createSnowflakeConnector(reachingLoopback(operatorPolicyFromEnv({})));
const bigqueryConnector = createBigQueryConnector(reachingLoopback(operatorPolicyFromEnv({})));
const sfRoleUrl = (role: string) =>
  `snowflake://tributary:pw@fakeaccount/FAKE/PUBLIC?warehouse=WH&role=${role}&access_url=${encodeURIComponent(sf.accessUrl)}`;

beforeAll(async () => {
  sfDb = await snowflakeBackingDb();
  for (const t of ['T', 'U']) {
    await sfDb.admin.query(`CREATE TABLE "PUBLIC"."${t}" ("ID" numeric(38,0), "EMAIL" text, "UPDATED_AT" timestamptz)`);
    await sfDb.admin.query(
      `INSERT INTO "PUBLIC"."${t}" VALUES (1, 'a@x.com', '2024-01-01T00:00:00Z'), (2, 'b@x.com', '2024-01-02T00:00:00Z')`,
    );
  }
  for (const role of [READER, WRITER]) {
    await sfDb.admin.query(`CREATE ROLE "${role}"`);
    await sfDb.admin.query(`GRANT USAGE ON SCHEMA "PUBLIC" TO "${role}"`);
    await sfDb.admin.query(`GRANT SELECT ON "PUBLIC"."T", "PUBLIC"."U" TO "${role}"`);
    // The fake's own session may take the role.
    await sfDb.admin.query(`GRANT "${role}" TO CURRENT_USER`);
  }
  await sfDb.admin.query(`GRANT UPDATE ON "PUBLIC"."T" TO "${WRITER}"`);
  sf = await startSnowflakeFake({
    postgresUrl: sfDb.url,
    schema: sfDb.schema,
    users: { tributary: { password: 'pw', roles: [READER, WRITER] } },
  });

  bqDb = await bigqueryBackingDb();
  for (const t of ['t', 'u']) {
    await bqDb.admin.query(`CREATE TABLE conf.${t} (id bigint, email text, updated_at timestamptz)`);
    await bqDb.admin.query(`INSERT INTO conf.${t} VALUES (1, 'a@x.com', '2024-01-01T00:00:00Z')`);
  }
  bq = await startBigQueryFake({
    postgresUrl: bqDb.url,
    project: 'proj',
    accounts: {
      [reader.email]: { publicKey: reader.publicKey, canQuery: true, tablePermissions: ['bigquery.tables.getData'] },
      [writer.email]: {
        publicKey: writer.publicKey,
        canQuery: true,
        tablePermissions: ['bigquery.tables.getData', 'bigquery.tables.updateData'],
      },
    },
  });
  h = await createHarness('whwarn', {
    connections: {
      sfw: sfRoleUrl(WRITER),
      sfr: sfRoleUrl(READER),
      bqw: bqUrl(bq.apiEndpoint, writer.credentials),
      bqr: bqUrl(bq.apiEndpoint, reader.credentials),
    },
  });
});
afterAll(async () => {
  await h?.close();
  await snowflakeConnector.closeAll();
  await bigqueryConnector.closeAll();
  await sf?.close();
  await bq?.close();
  for (const role of [READER, WRITER]) {
    await sfDb?.admin.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
    await sfDb?.admin.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
  }
  await sfDb?.admin.end();
  await bqDb?.admin.end();
});

const warningsOf = async (session: SourceSession, relation: Relation) => {
  if (!session.warnings) throw new Error('the session gives no warnings');
  return session.warnings(relation);
};

const profile = (connection: string, table: string, cursor = 'updated_at', key = 'id', email = 'email') => ({
  id: uniqueId('whwarn'),
  name: 'warned',
  dataType: 'profile' as const,
  source: { connection, table },
  cursor: { column: cursor, key },
  mapping: { userId: { column: email } },
});

describe('snowflake fake', () => {
  it('the fake answers as the role: the writer role may UPDATE T (a grant), the reader role may not', async () => {
    const rows = await sfDb.admin.query(
      `SELECT grantee, privilege_type FROM information_schema.table_privileges
      WHERE table_schema = 'PUBLIC' AND table_name = 'T' AND grantee IN ($1, $2) AND privilege_type = 'UPDATE'`,
      [READER, WRITER],
    );
    expect(rows.rows).toEqual([{ grantee: WRITER, privilege_type: 'UPDATE' }]);
  });

  it('the connection test warns for the writer role, not for the reader role', async () => {
    const discovery = explorerDiscovery(snowflakeConnector);
    expect((await discovery.test({ kind: 'snowflake', url: sfRoleUrl(WRITER) })).warnings).toEqual([
      `snowflake: the connection's user "tributary" (role ${WRITER}) can write (INSERT, UPDATE or DELETE) to PUBLIC.T; imports only read, so a user with SELECT only is safer`,
    ]);
    expect((await discovery.test({ kind: 'snowflake', url: sfRoleUrl(READER) })).warnings).toBeUndefined();
  });

  it('a run warns about the table it reads when the role can write it, and records it', async () => {
    const w = await snowflakeConnector.open({ kind: 'snowflake', url: sfRoleUrl(WRITER) });
    expect(await warningsOf(w, { table: 't' })).toEqual([
      `snowflake: the source user "tributary" (role ${WRITER}) can also write (INSERT, UPDATE or DELETE) to PUBLIC.T, which this import reads; a user with SELECT only is safer`,
    ]);
    expect(await warningsOf(w, { table: 'u' })).toEqual([]);
    const warned = await h.runImport(profile('sfw', 't'));
    expect(warned).toMatchObject({ status: 'succeeded', rowsRead: 2 });
    expect(warned.warnings).toEqual(await warningsOf(w, { table: 't' }));
    expect(await h.runImport(profile('sfr', 't'))).toMatchObject({ status: 'succeeded', rowsRead: 2, warnings: [] });
  });
});

describe('bigquery fake', () => {
  it('the connection test warns for an account that may change table rows (bigquery.tables.updateData), not for a reader', async () => {
    const discovery = explorerDiscovery(bigqueryConnector);
    expect(
      (await discovery.test({ kind: 'bigquery', url: bqUrl(bq.apiEndpoint, writer.credentials) })).warnings,
    ).toEqual([
      `bigquery: the connection's user "${writer.email}" can write (INSERT, UPDATE or DELETE) to conf.t, conf.u; imports only read, so a user with SELECT only is safer`,
    ]);
    expect(
      (await discovery.test({ kind: 'bigquery', url: bqUrl(bq.apiEndpoint, reader.credentials) })).warnings,
    ).toBeUndefined();
  });

  it('a run warns about the table it reads, and records it', async () => {
    const warned = await h.runImport(profile('bqw', 't'));
    expect(warned).toMatchObject({ status: 'succeeded', rowsRead: 1 });
    expect(warned.warnings).toEqual([
      `bigquery: the source user "${writer.email}" can also write (INSERT, UPDATE or DELETE) to conf.t, which this import reads; a user with SELECT only is safer`,
    ]);
    expect(await h.runImport(profile('bqr', 't'))).toMatchObject({ status: 'succeeded', rowsRead: 1, warnings: [] });
  });
});
