/**
 * Custom SQL on a Postgres source can only read. Against the real embedded Postgres:
 *   - queries that hide `; COMMIT; DELETE …` or `COPY … TO PROGRAM` behind an E'\'' escape or a `$a1$`
 *     dollar quote run nothing, through every session method, the API's dry run and create, and the
 *     worker; the rows are counted and the file checked afterwards from another connection;
 *   - pg's simple protocol would run such a text as several statements; the extended one refuses it;
 *   - what a query leaves in its session (an advisory lock, set_config(…, false)) is gone once the
 *     connection is back in its pool, seen from another connection in pg_locks / pg_stat_activity;
 *   - a superuser role is refused unless the operator allows it;
 *   - columns named like keywords and E'…\'…' strings, which the lexical check refused, are accepted.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';
import { createPostgresDiscovery } from '../../connectors/postgres/postgresDiscovery';
import { createPostgresConnector } from '../../connectors/postgres/postgresSource';
import { extended } from '../../connectors/postgres/postgresSessionGuard';
import {
  ConfigurationError,
  isExplorable,
  type Relation,
  type SourceExplorer,
  type SourceSession,
} from '../../connectors/source';
import { canPlanRanges } from '../../connectors/rangePlanner';
import { type ApiHarness, createApiHarness } from '../helpers/apiHarness';
import { count, uniqueId } from '../helpers/harness';
import { harnessPolicy } from '../helpers/policy';
import { reachingLoopback } from '../helpers/testPolicy';

let t: ApiHarness;
let dir: string;
let readerUrl: string;
let programReaderUrl: string;
let writerUrl: string;
const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
const reader = `sqlpg_reader_${suffix}`;
const programReader = `sqlpg_program_${suffix}`;
const writer = `sqlpg_writer_${suffix}`;
/** The operator's default: no TRIBUTARY_ALLOW_SUPERUSER_SOURCES. */
const strict = reachingLoopback(operatorPolicyFromEnv({}));

const withUser = (url: string, user: string, password: string): string => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
};

beforeAll(async () => {
  t = await createApiHarness('sqlpg');
  dir = mkdtempSync(path.join(os.tmpdir(), 'sqlpg-'));
  await t.h.source.query(
    `CREATE TABLE t (id int PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL, note text)`,
  );
  await t.h.source.query(
    `CREATE TABLE kw (id int PRIMARY KEY, email text, updated_at timestamptz, comment text, "set" text, copy text, "do" text, lock text, call text)`,
  );
  await t.h.source.query(
    `INSERT INTO kw VALUES (1, 'k@x.com', '2026-01-01T00:00:00Z', 'c', 's', 'cp', 'd', 'l', 'ca')`,
  );
  await t.h.source.query(`CREATE ROLE ${reader} LOGIN PASSWORD 'reader-pw'`);
  await t.h.source.query(`GRANT SELECT ON t, kw TO ${reader}`);
  await t.h.source.query(`CREATE ROLE ${programReader} LOGIN PASSWORD 'program-pw' IN ROLE pg_execute_server_program`);
  await t.h.source.query(`GRANT SELECT ON t TO ${programReader}`);
  await t.h.source.query(`CREATE ROLE ${writer} LOGIN PASSWORD 'writer-pw'`);
  await t.h.source.query(`GRANT SELECT ON t, kw TO ${writer}`);
  await t.h.source.query(`GRANT UPDATE ON t TO ${writer}`);
  writerUrl = withUser(t.h.sourceUrl, writer, 'writer-pw');
  readerUrl = withUser(t.h.sourceUrl, reader, 'reader-pw');
  // The API resolves stored connections; the worker resolves this one to the same database.
  const c = await t.req('POST', '/connections', { body: { id: 'warehouse', name: 'warehouse', url: t.h.sourceUrl } });
  expect(c.status, c.text).toBe(201);
  programReaderUrl = withUser(t.h.sourceUrl, programReader, 'program-pw');
});

beforeEach(async () => {
  await t.h.source.query('TRUNCATE t');
  await t.h.source.query(
    `INSERT INTO t SELECT g, 'u' || g || '@x.com', '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 minute', 'n' || g FROM generate_series(1, 10) g`,
  );
});

afterAll(async () => {
  await t?.close();
  // The roles are the cluster's, shared by every test database: drop them once their grants are gone.
  const admin = new pg.Client({ connectionString: t.h.sourceUrl });
  await admin.connect().catch(() => undefined);
  for (const role of [reader, programReader, writer]) {
    await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  }
  await admin.end().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Queries the old lexical guard passed as one SELECT. In each, Postgres ends the first statement where the
 * guard thought a string began (after E'\'' the guard saw a doubled quote; inside $a1$…$a1$ it saw a quote),
 * and the `--'` comment that Postgres ignores is where the guard thought the string ended. The parentheses
 * close and reopen the subquery the source wraps a custom query in, so that text ran as four statements.
 * On its own the text is not valid SQL, which is what the parser now says.
 */
const hidden = (statements: string): { name: string; query: string }[] => [
  { name: "E'\\''", query: `SELECT E'\\'' AS a) s; COMMIT; ${statements}; SELECT * FROM (SELECT 1 AS a --'\n` },
  { name: '$a1$', query: `SELECT $a1$'$a1$ AS a) s; COMMIT; ${statements}; SELECT * FROM (SELECT 1 AS a --'\n` },
];
const REFUSED = /custom query is not valid SQL: syntax error at or near "\)"/;
const deleteOne = 'DELETE FROM t WHERE id = 1';
const touch = (file: string) => `COPY (SELECT 1) TO PROGRAM 'touch ${file}'`;

const explorable = (s: SourceSession): SourceSession & SourceExplorer => {
  if (!isExplorable(s)) throw new Error('not explorable');
  return s;
};

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

async function drain(rows: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of rows) {
    /* read them all */
  }
}

describe('hidden statements through the connector', () => {
  // The worst case: a superuser role the operator allowed.
  const connector = createPostgresConnector({ policy: harnessPolicy() });
  afterAll(() => connector.closeAll());

  for (const { name, query } of [...hidden(deleteOne), ...hidden(touch('FILE'))]) {
    it(`${name}: ${query.includes('DELETE') ? 'DELETE' : 'COPY TO PROGRAM'} runs through no session method`, async () => {
      const file = path.join(dir, `touched-${randomUUID()}`);
      const relation: Relation = { query: query.replace('FILE', file) };
      const s = explorable(await connector.open({ kind: 'postgres', url: t.h.sourceUrl }));
      const numberCursor = {
        name: 'id',
        sourceType: 'integer',
        importType: 'number' as const,
        cursorKind: 'number' as const,
      };
      const textCursor = {
        name: 'email',
        sourceType: 'text',
        importType: 'string' as const,
        cursorKind: 'other' as const,
      };
      const attempts: [string, () => Promise<unknown>][] = [
        ['columns', () => s.columns(relation)],
        ['upperBound (number)', () => s.upperBound(relation, numberCursor, 0, 'UTC')],
        ['upperBound (other)', () => s.upperBound(relation, textCursor, 0, 'UTC')],
        ['countNullCursor', () => s.countNullCursor(relation, 'id', 'id')],
        [
          'read',
          () => drain(s.read(relation, ['id'], { cursor: 'id', key: 'id', after: null, upperBound: '100', limit: 10 })),
        ],
        ['preview', () => s.preview(relation, 5)],
        ['count', () => s.count(relation)],
      ];
      if (canPlanRanges(s)) {
        attempts.push([
          'planRange',
          () =>
            s.planRange(relation, {
              cursor: 'id',
              key: 'id',
              after: null,
              from: null,
              to: null,
              upperBound: '100',
              parts: 2,
              rowsPerPart: 5,
              maxParts: 4,
            }),
        ]);
      }
      for (const [method, attempt] of attempts) {
        // planRange checks the query before it returns a promise.
        const err = await failure(Promise.resolve().then(attempt));
        expect(err, method).toBeInstanceOf(ConfigurationError);
        expect(err.message, method).toMatch(REFUSED);
      }
      await s.close();
      expect(await count(t.h.source, 'SELECT count(*) FROM t')).toBe(10);
      expect(existsSync(file)).toBe(false);
    });
  }

  it("the API's preview refuses them too", async () => {
    const discovery = createPostgresDiscovery({ policy: harnessPolicy() });
    for (const { query } of hidden(deleteOne)) {
      const err = await failure(discovery.preview({ kind: 'postgres', url: t.h.sourceUrl }, { query }, 5));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.message).toMatch(REFUSED);
    }
    expect(await count(t.h.source, 'SELECT count(*) FROM t')).toBe(10);
  });
});

describe('the protocol', () => {
  it("pg's simple protocol (a query without values) runs every statement; the extended one refuses the text", async () => {
    const client = new pg.Client({ connectionString: t.h.sourceUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      // What the source sent before: several statements in one call, the DELETE included.
      await client.query({ text: `SELECT 1 AS a; ${deleteOne}`, values: [] });
      expect(await count(t.h.source, 'SELECT count(*) FROM t')).toBe(9);
      const err = await failure(client.query(extended('SELECT 1 AS a; DELETE FROM t WHERE id = 2')));
      expect(err.message).toMatch(/cannot insert multiple commands into a prepared statement/);
      const err2 = await failure(
        client.query(extended('SELECT 1 AS a; DELETE FROM t WHERE id = 2', [], { rowMode: 'array' })),
      );
      expect(err2.message).toMatch(/cannot insert multiple commands/);
      expect(await count(t.h.source, 'SELECT count(*) FROM t')).toBe(9);
    } finally {
      await client.end();
    }
  });
});

describe('through the API and the worker', () => {
  const spec = (id: string, query: string) => ({
    id,
    name: 'custom',
    dataType: 'profile',
    source: { connection: 'warehouse', query },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: { userId: { column: 'email' } },
  });

  for (const { name, query } of [...hidden(deleteOne), ...hidden(touch('FILE'))]) {
    it(`${name}: POST /imports/dry-run and POST /imports refuse it, naming source.query; nothing runs`, async () => {
      const file = path.join(dir, `touched-${randomUUID()}`);
      const body = spec(uniqueId('hidden'), query.replace('FILE', file));
      for (const route of ['/imports/dry-run', '/imports']) {
        const r = await t.req('POST', route, { body });
        expect(r.status, `${route}: ${r.text}`).toBe(400);
        expect(r.body.errors[0], route).toMatchObject({
          field: 'source.query',
          message: expect.stringMatching(REFUSED),
        });
      }
      expect(await count(t.h.source, 'SELECT count(*) FROM t')).toBe(10);
      expect(existsSync(file)).toBe(false);
    });
  }

  it('the worker fails the run as a configuration error; nothing runs', async () => {
    const file = path.join(dir, `touched-${randomUUID()}`);
    for (const { query } of hidden(`${deleteOne}; ${touch(file)}`)) {
      const handle = await t.h.startImport(spec(uniqueId('hiddenrun'), query) as never);
      const err = await failure(handle.result());
      expect(
        JSON.stringify(err, Object.getOwnPropertyNames(err)) +
          String((err as { cause?: { cause?: Error } }).cause?.cause?.message),
      ).toMatch(REFUSED);
    }
    expect(await count(t.h.source, 'SELECT count(*) FROM t')).toBe(10);
    expect(existsSync(file)).toBe(false);
  });

  it('columns named comment, set, copy, do, lock and call, and E-strings with escaped quotes, are accepted', async () => {
    const query = `SELECT id, email, updated_at, comment, "set", copy, "do", lock, call, E'it\\'s' AS quoted, E'\\'' AS q FROM kw`;
    const r = await t.req('POST', '/imports/dry-run', {
      body: {
        ...spec(uniqueId('kw'), query),
        mapping: {
          userId: { column: 'email' },
          attributes: [
            { column: 'comment', type: 'string' },
            { column: 'set', type: 'string' },
            { column: 'lock', type: 'string' },
            { column: 'quoted', type: 'string' },
          ],
        },
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ rowsRead: 1, counts: { created: 1, rejected: 0 } });
    const connector = createPostgresConnector({ policy: strict });
    try {
      const s = explorable(await connector.open({ kind: 'postgres', url: readerUrl }));
      const p = await s.preview({ query }, 5);
      expect(p.columns.map((c) => c.name)).toEqual([
        'id',
        'email',
        'updated_at',
        'comment',
        'set',
        'copy',
        'do',
        'lock',
        'call',
        'quoted',
        'q',
      ]);
      expect(p.rows).toEqual([['1', 'k@x.com', '2026-01-01 00:00:00+00', 'c', 's', 'cp', 'd', 'l', 'ca', "it's", "'"]]);
    } finally {
      await connector.closeAll();
    }
  });
});

describe('pooled sessions', () => {
  it('an advisory lock and a set_config taken by a custom query do not outlive it; the session keeps its own settings', async () => {
    const connector = createPostgresConnector({ policy: strict });
    try {
      const s = explorable(await connector.open({ kind: 'postgres', url: readerUrl }));
      const leaky = {
        query: `SELECT id, updated_at, pg_advisory_lock(424242) AS locked, set_config('application_name', 'sqlpg-leaked', false) AS app FROM t`,
      };
      const p = await s.preview(leaky, 3);
      expect(p.rows.map((r) => r[3])).toEqual(['sqlpg-leaked', 'sqlpg-leaked', 'sqlpg-leaked']);
      // Seen from another connection while the pool still holds its (idle) connections.
      expect(
        await count(t.h.source, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 424242`),
      ).toBe(0);
      expect(
        await count(t.h.source, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sqlpg-leaked'`),
      ).toBe(0);
      expect(
        await count(
          t.h.source,
          `SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND application_name = 'tributary-source'`,
          [reader],
        ),
      ).toBeGreaterThan(0);
      // Another session could take the lock at once (it would wait forever if the pool still held it).
      const other = new pg.Client({ connectionString: t.h.sourceUrl });
      await other.connect();
      try {
        expect((await other.query('SELECT pg_try_advisory_lock(424242) AS ok')).rows[0].ok).toBe(true);
        await other.query('SELECT pg_advisory_unlock_all()');
      } finally {
        await other.end();
      }
      // The settings the pool connects with survive the reset (they are the session's defaults).
      for (let i = 0; i < 6; i++) {
        const settings = await s.preview(
          {
            query: `SELECT current_setting('TimeZone') AS tz, current_setting('statement_timeout') AS st,
          current_setting('application_name') AS app, current_setting('standard_conforming_strings') AS scs`,
          },
          1,
        );
        expect(settings.rows).toEqual([['UTC', '30min', 'tributary-source', 'on']]);
      }
      await s.close();
    } finally {
      await connector.closeAll();
    }
  });
});

describe('the source role', () => {
  it('a superuser is refused by default, naming the role and the setting; allowed when the operator says so', async () => {
    const connector = createPostgresConnector({ policy: strict });
    try {
      const s = await connector.open({ kind: 'postgres', url: t.h.sourceUrl });
      const err = await failure(s.columns({ table: 't' }));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.message).toMatch(/role "postgres" is a superuser.*TRIBUTARY_ALLOW_SUPERUSER_SOURCES=1/);
      const err2 = await failure(
        drain(s.read({ table: 't' }, ['id'], { cursor: 'id', key: 'id', after: null, upperBound: '100', limit: 10 })),
      );
      expect(err2.message).toMatch(/is a superuser/);
      // A member of pg_execute_server_program can run programs as a superuser can.
      const program = await connector.open({ kind: 'postgres', url: programReaderUrl });
      expect((await failure(program.columns({ table: 't' }))).message).toMatch(
        /member of pg_read_server_files, pg_write_server_files or pg_execute_server_program/,
      );
      // A role that can only read is fine.
      const ok = await connector.open({ kind: 'postgres', url: readerUrl });
      expect((await ok.columns({ table: 't' })).map((c) => c.name)).toEqual(['id', 'email', 'updated_at', 'note']);
    } finally {
      await connector.closeAll();
    }
    const allowed = createPostgresConnector({ policy: { ...strict, allowSuperuserSources: true } });
    try {
      const s = await allowed.open({ kind: 'postgres', url: t.h.sourceUrl });
      expect((await s.columns({ table: 't' })).length).toBe(4);
    } finally {
      await allowed.closeAll();
    }
  });

  it("the API's discovery refuses it too: the connection test says why", async () => {
    const discovery = createPostgresDiscovery({ policy: strict });
    const err = await failure(discovery.test({ kind: 'postgres', url: t.h.sourceUrl }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(/is a superuser/);
    expect((await discovery.test({ kind: 'postgres', url: readerUrl })).server).toMatch(/^PostgreSQL /);
  });
});

describe('warnings about a role that can write', () => {
  const profile = (id: string, connection: string, source: Record<string, string>) => ({
    id,
    name: 'warned',
    dataType: 'profile' as const,
    source: { connection, ...source },
    cursor: { column: 'updated_at', key: 'id' },
    mapping: { userId: { column: 'email' } },
  });

  it('the connection test and the run say so; a role that can only read gets none', async () => {
    for (const [id, url] of [
      ['writer', writerUrl],
      ['reader', readerUrl],
    ] as const) {
      const c = await t.req('POST', '/connections', { body: { id, name: id, url } });
      expect(c.status, c.text).toBe(201);
    }
    const tested = await t.req('POST', '/connections/writer/test');
    expect(tested.body).toMatchObject({
      ok: true,
      warnings: [
        expect.stringMatching(new RegExp(`role "${writer}" can write .* to 1 table\\(s\\) it can read \\(t\\)`)),
      ],
    });
    const clean = await t.req('POST', '/connections/reader/test');
    expect(clean.body.ok).toBe(true);
    expect(clean.body.warnings).toBeUndefined();

    const byTable = await t.h.runImport(profile(uniqueId('warn'), 'writer', { table: 't' }));
    expect(byTable.status).toBe('succeeded');
    expect(byTable.warnings).toEqual([
      `the source role "${writer}" can also write (INSERT, UPDATE or DELETE) to t, which this import reads; a role with SELECT only is safer`,
    ]);
    const byQuery = await t.h.runImport(
      profile(uniqueId('warnq'), 'writer', {
        query: 'SELECT k.id, k.email, k.updated_at FROM kw k UNION ALL SELECT id, email, updated_at FROM public.t',
      }),
    );
    expect(byQuery.warnings).toEqual([expect.stringContaining('can also write (INSERT, UPDATE or DELETE) to t,')]);
    const runs = await t.req('GET', `/imports/${byTable.importId}/runs`);
    expect(runs.body.items[0].warnings).toEqual(byTable.warnings);
    const readOnly = await t.h.runImport(profile(uniqueId('nowarn'), 'reader', { table: 't' }));
    expect(readOnly).toMatchObject({ status: 'succeeded', rowsRead: 10, warnings: [] });
  });
});
