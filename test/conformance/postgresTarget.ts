/** Conformance target: the Postgres connector on the test cluster. */
import pg from 'pg';
import { createPostgresConnector } from '../../connectors/postgres/postgresSource';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { freshDatabase } from '../helpers/harness';
import { freePort } from '../helpers/servers';
import { harnessPolicy } from '../helpers/policy';
import type { Kind, TargetSetup, Value } from './target';

const TYPES: Record<Kind, string> = {
  id: 'bigint',
  int: 'bigint',
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
  if (!isExplorable(s)) throw new Error('postgres session does not implement SourceExplorer');
  return s;
};

export const postgresTarget: TargetSetup = {
  name: 'postgres',
  async start() {
    const url = await freshDatabase('conf');
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    const connector = createPostgresConnector({ policy: harnessPolicy() });
    const withUrl = async (u: string) => explorable(await connector.open({ kind: 'postgres', url: u }));
    await admin.query(`CREATE ROLE conf_outsider LOGIN PASSWORD 'secret'`).catch(() => undefined);
    return {
      timestampDigits: 6,
      open: async () => explorable(await connector.open({ kind: 'postgres', url })),
      async load(table, columns, rows) {
        await admin.query(`CREATE TABLE ${table} (${columns.map((c) => `${c.name} ${TYPES[c.kind]}`).join(', ')})`);
        for (let i = 0; i < rows.length; i += 500) {
          const values = rows
            .slice(i, i + 500)
            .map((r) => `(${r.map((v, j) => literal(columns[j]!.kind, v)).join(', ')})`);
          await admin.query(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
        }
      },
      loadUnsupported: async (table) => {
        await admin.query(`CREATE TABLE ${table} (id bigint, payload bytea)`);
      },
      rowCount: async (table) => Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n),
      async hiddenWrite() {
        await admin.query('CREATE SEQUENCE IF NOT EXISTS conf_seq');
        return "SELECT nextval('conf_seq') AS n";
      },
      async openWith(failure) {
        const u = new URL(url);
        if (failure === 'bad-credentials') u.password = 'wrong';
        if (failure === 'no-permission') {
          u.username = 'conf_outsider';
          u.password = 'secret';
        }
        if (failure === 'unreachable') u.port = String(await freePort());
        return withUrl(u.toString());
      },
      async stop() {
        await connector.closeAll();
        await admin.end();
      },
    };
  },
};
