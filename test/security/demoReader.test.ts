/**
 * `npm run up` reads its demo source as a role that can only SELECT it. Against the embedded Postgres:
 * the role is made (and remade) by the SQL up.ts runs, reads every demo table through the connector
 * under the default (strict) operator policy, and cannot write, create or run programs.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';
import { createPostgresConnector } from '../../connectors/postgres/postgresSource';
import { DEMO_SPECS, ensureDemoData } from '../../scripts/demo-data';
import { DEMO_READER_ROLE, ensureDemoReader } from '../../scripts/demoReader';
import { freshDatabase } from '../helpers/harness';
import { reachingLoopback } from '../helpers/testPolicy';

let demoUrl: string;
const connector = createPostgresConnector({ policy: reachingLoopback(operatorPolicyFromEnv({})) });

async function asRole<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const codeOf = (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (err: { code?: string }) => err.code,
  );

beforeAll(async () => {
  demoUrl = await freshDatabase('demo_reader');
  await ensureDemoData(demoUrl);
});

afterAll(async () => {
  await connector.closeAll();
  await asRole(demoUrl, async (c) => {
    await c.query(`DROP OWNED BY ${DEMO_READER_ROLE}`);
    await c.query(`DROP ROLE ${DEMO_READER_ROLE}`);
  });
});

it('the demo reader reads every demo table and nothing more; a second `up` gives it a new password', async () => {
  const first = await ensureDemoReader(demoUrl);
  expect(first.role).toBe(DEMO_READER_ROLE);
  expect(new URL(first.url).username).toBe(DEMO_READER_ROLE);

  const role = await asRole(
    demoUrl,
    async (c) =>
      (
        await c.query(
          `SELECT rolsuper, rolcreaterole, rolcreatedb, pg_has_role($1, 'pg_execute_server_program', 'MEMBER') AS program
                    FROM pg_roles WHERE rolname = $1`,
          [DEMO_READER_ROLE],
        )
      ).rows[0],
  );
  expect(role).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, program: false });

  await asRole(first.url, async (c) => {
    expect(Number((await c.query('SELECT count(*) AS n FROM users')).rows[0].n)).toBeGreaterThan(5000);
    expect(await codeOf(c.query(`UPDATE users SET email = 'x' WHERE id = 1`))).toBe('42501');
    expect(await codeOf(c.query('DELETE FROM events'))).toBe('42501');
    expect(await codeOf(c.query('CREATE TABLE mine (id int)'))).toBe('42501');
    expect(await codeOf(c.query(`COPY (SELECT 1) TO PROGRAM 'true'`))).toBe('42501');
  });

  // The worker's connector, under the default policy, accepts the role and reads each demo spec's table.
  const session = await connector.open({ kind: 'postgres', url: first.url });
  for (const spec of DEMO_SPECS) {
    const table = (spec.source as { table: string }).table;
    expect((await session.columns({ table })).length, table).toBeGreaterThan(1);
  }
  await session.close();

  const second = await ensureDemoReader(demoUrl);
  expect(second.url).not.toBe(first.url);
  expect(await codeOf(asRole(first.url, async () => undefined))).toBe('28P01');
  await asRole(second.url, async (c) =>
    expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(DEMO_READER_ROLE),
  );
});
