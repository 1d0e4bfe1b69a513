/** Conformance target: the Snowflake connector against the Snowflake PROTOCOL FAKE (test/fakes/snowflakeFake.ts). */
import pg from 'pg';
import { createSnowflakeConnector } from '../../connectors/snowflake/snowflakeSource';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { freshDatabase } from '../helpers/harness';
import { freePort } from '../helpers/servers';
import { type SnowflakeFake, startSnowflakeFake } from '../fakes/snowflakeFake';
import type { Kind, TargetSetup, Value } from './target';
import { reachingLoopback } from '../helpers/testPolicy';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';

const TYPES: Record<Kind, string> = {
  id: 'numeric(38,0)',
  int: 'numeric(38,0)',
  text: 'text',
  ts: 'timestamptz',
  decimal: 'numeric(30,4)',
  array: 'text[]',
};

function literal(kind: Kind, v: Value): string {
  if (v === null) return 'NULL';
  if (kind === 'array')
    return `ARRAY[${(JSON.parse(v) as string[]).map((s) => pg.escapeLiteral(s)).join(',')}]::text[]`;
  if (kind === 'text' || kind === 'ts') return pg.escapeLiteral(v);
  return v;
}

const explorable = (s: SourceSession): SourceSession & SourceExplorer => {
  if (!isExplorable(s)) throw new Error('snowflake session does not implement SourceExplorer');
  return s;
};

/** Postgres stand-in for a Snowflake schema: names upper-cased as Snowflake stores unquoted identifiers. */
export async function snowflakeBackingDb(): Promise<{ url: string; admin: pg.Pool; schema: string }> {
  const url = await freshDatabase('sf');
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  await admin.query('CREATE SCHEMA "PUBLIC"');
  return { url, admin, schema: 'PUBLIC' };
}

export const sfUrl = (fake: SnowflakeFake, user: string, password: string, extra = '') =>
  `snowflake://${user}:${password}@fakeaccount/FAKE/PUBLIC?warehouse=WH&role=READER&access_url=${encodeURIComponent(fake.accessUrl)}${extra}`;

export const snowflakeTarget: TargetSetup = {
  name: 'snowflake',
  fake: true,
  async start() {
    const db = await snowflakeBackingDb();
    const fake = await startSnowflakeFake({
      postgresUrl: db.url,
      schema: db.schema,
      users: { tributary: { password: 'pw', roles: ['READER'] }, outsider: { password: 'pw', roles: [] } },
    });
    const connector = createSnowflakeConnector(reachingLoopback(operatorPolicyFromEnv()));
    const open = async (url: string) => explorable(await connector.open({ kind: 'snowflake', url }));
    return {
      timestampDigits: 6,
      open: () => open(sfUrl(fake, 'tributary', 'pw')),
      async load(table, columns, rows) {
        const t = `"PUBLIC"."${table.toUpperCase()}"`;
        await db.admin.query(
          `CREATE TABLE ${t} (${columns.map((c) => `"${c.name.toUpperCase()}" ${TYPES[c.kind]}`).join(', ')})`,
        );
        if (rows.length === 0) return;
        const values = rows.map((r) => `(${r.map((v, j) => literal(columns[j]!.kind, v)).join(', ')})`);
        await db.admin.query(`INSERT INTO ${t} VALUES ${values.join(', ')}`);
      },
      loadUnsupported: async (table) => {
        await db.admin.query(`CREATE TABLE "PUBLIC"."${table.toUpperCase()}" ("ID" numeric(38,0), "PAYLOAD" bytea)`);
      },
      rowCount: async (table) =>
        Number((await db.admin.query(`SELECT count(*) AS n FROM "PUBLIC"."${table.toUpperCase()}"`)).rows[0].n),
      hiddenWrite: async () => null, // a Snowflake SELECT cannot write (UDFs cannot run DML)
      async openWith(failure) {
        if (failure === 'bad-credentials') return open(sfUrl(fake, 'tributary', 'wrong'));
        if (failure === 'no-permission') return open(sfUrl(fake, 'outsider', 'pw'));
        return open(
          `snowflake://tributary:pw@fakeaccount/FAKE/PUBLIC?warehouse=WH&access_url=${encodeURIComponent(`http://127.0.0.1:${await freePort()}`)}`,
        );
      },
      async stop() {
        await connector.closeAll();
        await fake.close();
        await db.admin.end();
      },
    };
  },
};
