/** Conformance target: the BigQuery connector against the BigQuery PROTOCOL FAKE (test/fakes/bigqueryFake.ts). */
import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { createBigQueryConnector } from '../../connectors/bigquery/bigquerySource';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { freshDatabase } from '../helpers/harness';
import { freePort } from '../helpers/servers';
import { type BigQueryFake, startBigQueryFake } from '../fakes/bigqueryFake';
import type { Kind, TargetSetup, Value } from './target';
import { reachingLoopback } from '../helpers/testPolicy';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';

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
  if (!isExplorable(s)) throw new Error('bigquery session does not implement SourceExplorer');
  return s;
};

/** A service account: its key JSON (base64, for the URL) and public key (for the fake). */
export function serviceAccount(email: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = {
    type: 'service_account',
    project_id: 'proj',
    client_email: email,
    private_key_id: 'k1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  return {
    email,
    credentials: Buffer.from(JSON.stringify(key)).toString('base64'),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export const bqUrl = (endpoint: string, credentials: string, extra = '') =>
  `bigquery://proj/conf?location=US&credentials=${encodeURIComponent(credentials)}&api_endpoint=${encodeURIComponent(endpoint)}${extra}`;

/** Postgres stand-in for a BigQuery project: one schema per dataset (here `conf`). */
export async function bigqueryBackingDb(): Promise<{ url: string; admin: pg.Pool }> {
  const url = await freshDatabase('bq');
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  await admin.query('CREATE SCHEMA conf');
  return { url, admin };
}

export const bigqueryTarget: TargetSetup = {
  name: 'bigquery',
  fake: true,
  async start() {
    const db = await bigqueryBackingDb();
    const reader = serviceAccount('reader@proj.iam.gserviceaccount.com');
    const outsider = serviceAccount('outsider@proj.iam.gserviceaccount.com');
    const impostor = serviceAccount('reader@proj.iam.gserviceaccount.com'); // same email, another key
    const fake: BigQueryFake = await startBigQueryFake({
      postgresUrl: db.url,
      project: 'proj',
      accounts: {
        [reader.email]: { publicKey: reader.publicKey, canQuery: true },
        [outsider.email]: { publicKey: outsider.publicKey, canQuery: false },
      },
    });
    const connector = createBigQueryConnector(reachingLoopback(operatorPolicyFromEnv()));
    const open = async (url: string) => explorable(await connector.open({ kind: 'bigquery', url }));
    return {
      timestampDigits: 6,
      open: () => open(bqUrl(fake.apiEndpoint, reader.credentials)),
      async load(table, columns, rows) {
        await db.admin.query(
          `CREATE TABLE conf.${table} (${columns.map((c) => `${c.name} ${TYPES[c.kind]}`).join(', ')})`,
        );
        if (rows.length === 0) return;
        await db.admin.query(
          `INSERT INTO conf.${table} VALUES ${rows.map((r) => `(${r.map((v, j) => literal(columns[j]!.kind, v)).join(', ')})`).join(', ')}`,
        );
      },
      loadUnsupported: async (table) => {
        await db.admin.query(`CREATE TABLE conf.${table} (id bigint, payload bytea)`);
      },
      rowCount: async (table) => Number((await db.admin.query(`SELECT count(*) AS n FROM conf.${table}`)).rows[0].n),
      hiddenWrite: async () => null, // a BigQuery SELECT cannot write
      async openWith(failure) {
        if (failure === 'bad-credentials') return open(bqUrl(fake.apiEndpoint, impostor.credentials));
        if (failure === 'no-permission') return open(bqUrl(fake.apiEndpoint, outsider.credentials));
        return open(bqUrl(`http://127.0.0.1:${await freePort()}`, reader.credentials));
      },
      async stop() {
        await connector.closeAll();
        await fake.close();
        await db.admin.end();
      },
    };
  },
};
