/**
 * Custom SQL on MySQL / MariaDB can only read: attempts to slip a second statement, a write, a lock or a
 * file write past the check are refused and the table is unchanged (counted on the real server); queries
 * the old lexical guard refused for no reason (backslash escapes, columns named like SQL commands) run and
 * return what the server itself returns. The connector connects as a real user with SELECT only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlConnector, mysqlOptions } from '../../connectors/mysql/mysqlSource';
import { isExplorable, type SourceExplorer, type SourceSession } from '../../connectors/source';
import { operatorPolicyFromEnv, type OperatorPolicy } from '../../connectors/common/operatorPolicy';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { reachingLoopback } from '../helpers/testPolicy';

let db: MariaDb;
const policy = (over: Partial<OperatorPolicy> = {}): OperatorPolicy =>
  reachingLoopback({ ...operatorPolicyFromEnv({}), ...over });
const connectors: ReturnType<typeof createMysqlConnector>[] = [];

async function session(
  over: Partial<OperatorPolicy> = {},
  user = 'reader',
  password = 'secret',
): Promise<SourceSession & SourceExplorer> {
  const connector = createMysqlConnector(policy(over));
  connectors.push(connector);
  const s = await connector.open({ kind: 'mysql', url: db.url('shop', user, password) });
  if (!isExplorable(s)) throw new Error('mysql session is not explorable');
  return s;
}

const rowCount = async () => Number(((await db.exec('SELECT COUNT(*) AS n FROM shop.t')) as { n: number }[])[0]!.n);

beforeAll(async () => {
  db = await startMariaDb();
  await db.createDatabase('shop');
  await db.exec(`CREATE TABLE shop.t (id INT PRIMARY KEY, \`comment\` VARCHAR(50), \`set\` INT, \`copy\` INT, \`do\` INT, \`lock\` INT,
    \`call\` INT, note VARCHAR(100))`);
  await db.exec(`INSERT INTO shop.t VALUES (1, 'first', 10, 11, 12, 13, 14, 'it''s'), (2, 'second', 20, 21, 22, 23, 24, 'back\\\\slash'),
    (3, 'third', 30, 31, 32, 33, 34, 'plain')`);
  await db.exec("CREATE USER 'reader'@'%' IDENTIFIED BY 'secret'");
  await db.exec("GRANT SELECT ON shop.* TO 'reader'@'%'");
});
afterAll(async () => {
  await Promise.all(connectors.map((c) => c.closeAll()));
  await db?.stop();
});

describe('refused, and the table is unchanged', () => {
  const attempts: [string, string, RegExp][] = [
    // MySQL reads '\'' as one string holding a quote; a lexer without backslash escapes sees the ; inside a string.
    [
      'a backslash-escaped quote hides a second statement',
      "SELECT id FROM t WHERE note = '\\'' ; DELETE FROM t; -- '",
      /second statement/,
    ],
    // "--x" is not a comment to MySQL (a space must follow), so the ; after it is real.
    ['-- without a space is not a comment', 'SELECT 1 AS id --x; DELETE FROM t', /second statement/],
    [
      'an executable comment',
      'SELECT id FROM t /*! WHERE 1 = 0 UNION SELECT 1 FOR UPDATE */',
      /comments are run by the server as code/,
    ],
    [
      'a MariaDB executable comment',
      'SELECT id FROM t /*M!100000 INTO OUTFILE "/tmp/x" */',
      /comments are run by the server as code/,
    ],
    ['INTO OUTFILE', "SELECT id FROM t INTO OUTFILE '/tmp/tributary-x'", /INTO/],
    ['INTO a variable', 'SELECT id FROM t LIMIT 1 INTO @x', /INTO/],
    ['FOR UPDATE', 'SELECT id FROM t FOR UPDATE', /FOR UPDATE locks rows/],
    ['FOR SHARE', 'SELECT id FROM t FOR SHARE', /FOR SHARE locks rows/],
    ['LOCK IN SHARE MODE', 'SELECT id FROM t LOCK IN SHARE MODE', /LOCK IN SHARE MODE/],
    [
      'closing the wrapping subquery',
      'SELECT 1 AS id) AS src UNION SELECT id FROM (SELECT id FROM t',
      /closes a parenthesis/,
    ],
    ['a DELETE', 'DELETE FROM t', /must be a SELECT/],
    ['a second statement after a trailing ;', 'SELECT id FROM t; DROP TABLE t', /second statement/],
  ];
  for (const [what, sql, message] of attempts) {
    it(what, async () => {
      const s = await session();
      const before = await rowCount();
      const err = await s.preview({ query: sql }, 10).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('ConfigurationError');
      expect((err as Error).message).toMatch(/^mysql: the custom query must only read: /);
      expect((err as Error).message).toMatch(message);
      expect(await rowCount()).toBe(before);
    });
  }

  it('a function that writes fails in the READ ONLY transaction (as root, the only role that can create one)', async () => {
    await db.exec(
      `CREATE FUNCTION shop.bump() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO shop.t (id) VALUES (999); RETURN 1; END`,
    );
    await db.exec("GRANT EXECUTE ON FUNCTION shop.bump TO 'reader'@'%'");
    const s = await session();
    const before = await rowCount();
    const err = await s.preview({ query: 'SELECT bump() AS n' }, 1).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/read.only/i);
    expect(await rowCount()).toBe(before);
  });
});

describe('accepted, with the rows the server returns', () => {
  it('columns named comment, set, copy, do, lock and call', async () => {
    const s = await session();
    const r = await s.preview({ query: 'SELECT id, comment, `set`, copy, do, `lock`, `call` FROM t ORDER BY id' }, 10);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'comment', 'set', 'copy', 'do', 'lock', 'call']);
    expect(r.rows).toEqual([
      ['1', 'first', '10', '11', '12', '13', '14'],
      ['2', 'second', '20', '21', '22', '23', '24'],
      ['3', 'third', '30', '31', '32', '33', '34'],
    ]);
  });

  it("backslash escapes: '\\'' and a ; inside a string", async () => {
    const s = await session();
    const r = await s.preview(
      {
        query:
          "SELECT id, note FROM t WHERE note IN ('it\\'s', 'back\\\\slash') AND note <> 'x\\'; DELETE FROM t' ORDER BY id;",
      },
      10,
    );
    expect(r.rows).toEqual([
      ['1', "it's"],
      ['2', 'back\\slash'],
    ]);
  });

  it('# and -- comments (with a ; inside them) and double-quoted strings', async () => {
    const s = await session();
    const r = await s.preview(
      { query: 'SELECT id, "a;b" AS q # ; DELETE FROM t\nFROM t -- ; DROP TABLE t\nWHERE id = 1' },
      10,
    );
    expect(r.rows).toEqual([['1', 'a;b']]);
  });

  it('a keyset read of a custom query whose columns are named like commands', async () => {
    const s = await session();
    const rows: (string | null)[][] = [];
    for await (const row of s.read({ query: 'SELECT id, `lock`, `call` FROM t' }, ['id', 'lock'], {
      cursor: 'call',
      key: 'id',
      after: null,
      upperBound: '30',
      limit: 10,
    }))
      rows.push(row);
    expect(rows).toEqual([
      ['1', '13'],
      ['2', '23'],
    ]);
  });
});

it("the check follows the server sql_mode: NO_BACKSLASH_ESCAPES ends a string at \\'", async () => {
  const sql = "SELECT id FROM t WHERE note <> 'a\\' ; DELETE FROM t -- '";
  // With backslash escapes (the default) it is one string; it reads every row.
  expect((await (await session()).preview({ query: sql }, 10)).rows).toHaveLength(3);
  const mode = ((await db.exec('SELECT @@GLOBAL.sql_mode AS m')) as { m: string }[])[0]!.m;
  await db.exec(`SET GLOBAL sql_mode = '${mode ? `${mode},` : ''}NO_BACKSLASH_ESCAPES'`);
  try {
    const s = await session();
    const before = await rowCount();
    const err = await s.preview({ query: sql }, 10).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/second statement/);
    expect(await rowCount()).toBe(before);
    // And a backslash before the closing quote is just a character there.
    expect((await s.preview({ query: "SELECT 'C:\\' AS p" }, 1)).rows).toEqual([['C:\\']]);
    // Positions the connector writes into the SQL (a text key holding a quote and a backslash) read the same.
    const rows: (string | null)[][] = [];
    for await (const row of s.read({ query: "SELECT id, note, 'C:\\' AS p FROM t" }, ['id', 'note', 'p'], {
      cursor: 'id',
      key: 'note',
      after: { cursor: '1', key: "it's\\" },
      upperBound: '3',
      limit: 10,
    }))
      rows.push(row);
    expect(rows).toEqual([
      ['2', 'back\\slash', 'C:\\'],
      ['3', 'plain', 'C:\\'],
    ]);
  } finally {
    await db.exec(`SET GLOBAL sql_mode = '${mode}'`);
  }
});

it('session state a custom query leaves (a GET_LOCK lock, a user variable) is reset before the connection is reused', async () => {
  const s = await session();
  const r = await s.preview({ query: "SELECT GET_LOCK('tributary_probe', 0) AS got, (@leak := 42) AS v" }, 1);
  expect(r.rows).toEqual([['1', '42']]);
  // The lock went with the session: another session can take it at once.
  expect(((await db.exec("SELECT IS_FREE_LOCK('tributary_probe') AS f")) as { f: number }[])[0]!.f).toBe(1);
  // The same pool (one connection so far) no longer sees the variable.
  expect((await s.preview({ query: 'SELECT @leak AS v' }, 1)).rows).toEqual([[null]]);
});

it('a statement runs at most the operator bound (max_statement_time)', async () => {
  const s = await session({ sourceStatementTimeoutSeconds: 1 });
  const started = Date.now();
  // Tens of seconds of work unbounded; the bound stops it after one.
  const err = await s.preview({ query: "SELECT BENCHMARK(300000000, MD5('x')) AS b" }, 1).catch((e: unknown) => e);
  expect((err as Error).message).toMatch(/max_statement_time/);
  expect(Date.now() - started).toBeLessThan(15_000);
}, 180_000);

it('multiple statements are never enabled on the pool, whatever the URL says', () => {
  expect(mysqlOptions('mysql://u:p@127.0.0.1:3306/shop?multipleStatements=true').multipleStatements).toBe(false);
  expect(mysqlOptions('mysql://u:p@127.0.0.1:3306/shop').resetOnRelease).toBe(true);
});

describe('a user with SUPER or FILE is refused unless the operator allows it', () => {
  it('root (SUPER and FILE)', async () => {
    const err = await (await session({}, 'root', '')).preview({ table: 't' }, 1).catch((e: unknown) => e);
    expect((err as Error).name).toBe('ConfigurationError');
    expect((err as Error).message).toMatch(/^mysql: the connection's user has the FILE, SUPER privilege/);
    expect((err as Error).message).toMatch(/TRIBUTARY_ALLOW_SUPERUSER_SOURCES=1/);
  });

  it("a user granted FILE (LOAD_FILE reads the server's files)", async () => {
    await db.exec("CREATE USER 'filer'@'%' IDENTIFIED BY 'secret'");
    await db.exec("GRANT SELECT ON shop.* TO 'filer'@'%'");
    await db.exec("GRANT FILE ON *.* TO 'filer'@'%'");
    const err = await (
      await session({}, 'filer', 'secret')
    )
      .preview({ query: "SELECT LOAD_FILE('/etc/hostname') AS f" }, 1)
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/has the FILE privilege/);
  });

  it('allowed by the operator, root reads', async () => {
    const r = await (
      await session({ allowSuperuserSources: true }, 'root', '')
    ).preview({ query: 'SELECT id FROM t ORDER BY id' }, 10);
    expect(r.rows).toEqual([['1'], ['2'], ['3']]);
  });
});
