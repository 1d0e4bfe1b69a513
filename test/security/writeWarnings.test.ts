/**
 * "The user can write" warnings for MySQL/MariaDB and ClickHouse, as Postgres gives them: on the
 * connection test (the API's discovery) and recorded on every run (runs.warnings), never failing either.
 * The privileges are made on the real servers with GRANT (MariaDB) and user profiles (ClickHouse 18.16,
 * whose only write control is a user's `readonly` setting); the expected warnings follow from those grants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseConnector } from '../../connectors/clickhouse/clickhouseSource';
import { operatorPolicyFromEnv } from '../../connectors/common/operatorPolicy';
import { explorerDiscovery } from '../../connectors/explorerDiscovery';
import { createMysqlConnector } from '../../connectors/mysql/mysqlSource';
import type { SourceSession } from '../../connectors/source';
import { type ClickHouse, startClickHouse } from '../helpers/clickhouse';
import { createHarness, type Harness, uniqueId } from '../helpers/harness';
import { type MariaDb, startMariaDb } from '../helpers/mariadb';
import { reachingLoopback } from '../helpers/testPolicy';

let db: MariaDb;
let ch: ClickHouse;
let h: Harness;
const mysqlConnector = createMysqlConnector(reachingLoopback(operatorPolicyFromEnv({})));
const clickhouseConnector = createClickHouseConnector(reachingLoopback(operatorPolicyFromEnv({})));
const my = (user: string) => db.url('shop', user, 'pw');

beforeAll(async () => {
  db = await startMariaDb();
  await db.createDatabase('shop');
  await db.exec('CREATE TABLE shop.t (id INT PRIMARY KEY, email VARCHAR(50), updated_at DATETIME(6))');
  await db.exec('CREATE TABLE shop.u (id INT PRIMARY KEY, email VARCHAR(50), updated_at DATETIME(6))');
  await db.exec(
    "INSERT INTO shop.t VALUES (1, 'a@x.com', '2024-01-01 00:00:00'), (2, 'b@x.com', '2024-01-02 00:00:00')",
  );
  await db.exec("INSERT INTO shop.u VALUES (1, 'c@x.com', '2024-01-01 00:00:00')");
  for (const user of ['reader', 'tablewriter', 'dbwriter', 'globalwriter']) {
    await db.exec(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw'`);
    await db.exec(`GRANT SELECT ON shop.* TO '${user}'@'%'`);
  }
  await db.exec("GRANT UPDATE ON shop.t TO 'tablewriter'@'%'");
  await db.exec("GRANT ALL ON shop.* TO 'dbwriter'@'%'");
  await db.exec("GRANT INSERT ON *.* TO 'globalwriter'@'%'");

  ch = await startClickHouse();
  await ch.exec('CREATE TABLE ct (id UInt64, email String, updated_at DateTime) ENGINE = MergeTree ORDER BY id');
  await ch.insert('ct', [{ id: 1, email: 'a@x.com', updated_at: '2024-01-01 00:00:00' }]);

  h = await createHarness('wwarn', {
    connections: {
      mytw: my('tablewriter'),
      myr: my('reader'),
      chw: ch.url(),
      chr: ch.url('default', 'reader', 'secret'),
    },
  });
});
afterAll(async () => {
  await h?.close();
  await mysqlConnector.closeAll();
  await clickhouseConnector.closeAll();
  await db?.stop();
  await ch?.stop();
});

const warningsOf = async (session: SourceSession, relation: Parameters<NonNullable<SourceSession['warnings']>>[0]) => {
  if (!session.warnings) throw new Error('the session gives no warnings');
  return session.warnings(relation);
};

const profile = (connection: string, source: Record<string, string>) => ({
  id: uniqueId('wwarn'),
  name: 'warned',
  dataType: 'profile' as const,
  source: { connection, ...source },
  cursor: { column: 'updated_at', key: 'id' },
  mapping: { userId: { column: 'email' } },
});

describe('mysql / mariadb', () => {
  const discovery = () => explorerDiscovery(mysqlConnector);

  it('the connection test names what the user can write; a SELECT-only user gets no warning', async () => {
    expect((await discovery().test({ kind: 'mysql', url: my('reader') })).warnings).toBeUndefined();
    expect((await discovery().test({ kind: 'mysql', url: my('tablewriter') })).warnings).toEqual([
      "mysql: the connection's user tablewriter@% can write (INSERT, UPDATE or DELETE) to shop.t; imports only read, so a user with SELECT only is safer",
    ]);
    expect((await discovery().test({ kind: 'mysql', url: my('dbwriter') })).warnings).toEqual([
      expect.stringMatching(/^mysql: the connection's user dbwriter@% can write .* to every table of database shop;/),
    ]);
    expect((await discovery().test({ kind: 'mysql', url: my('globalwriter') })).warnings).toEqual([
      expect.stringMatching(/^mysql: the connection's user globalwriter@% can write .* to every database \(\*\.\*\);/),
    ]);
  });

  it('a run warns about what it reads and the user can write, not about other tables', async () => {
    const tw = await mysqlConnector.open({ kind: 'mysql', url: my('tablewriter') });
    expect(await warningsOf(tw, { table: 't' })).toEqual([
      'mysql: the source user tablewriter@% can also write (INSERT, UPDATE or DELETE) to shop.t, which this import reads; a user with SELECT only is safer',
    ]);
    expect(await warningsOf(tw, { table: 'u' })).toEqual([]);
    expect(await warningsOf(tw, { query: 'SELECT id, email, updated_at FROM u' })).toEqual([
      expect.stringMatching(
        /can also write \(INSERT, UPDATE or DELETE\) to shop\.t, which the custom query may read \(it runs in database shop\)/,
      ),
    ]);
    const dbw = await mysqlConnector.open({ kind: 'mysql', url: my('dbwriter') });
    expect(await warningsOf(dbw, { table: 'u' })).toEqual([
      expect.stringContaining('to shop.u, which this import reads'),
    ]);
    const gw = await mysqlConnector.open({ kind: 'mysql', url: my('globalwriter') });
    expect(await warningsOf(gw, { table: 'shop.u' })).toEqual([
      expect.stringContaining('to shop.u, which this import reads'),
    ]);
    const r = await mysqlConnector.open({ kind: 'mysql', url: my('reader') });
    expect(await warningsOf(r, { table: 't' })).toEqual([]);
    expect(await warningsOf(r, { query: 'SELECT id FROM t' })).toEqual([]);
  });

  it('recorded on the run (runs.warnings), which succeeds', async () => {
    const warned = await h.runImport(profile('mytw', { table: 't' }));
    expect(warned).toMatchObject({ status: 'succeeded', rowsRead: 2 });
    expect(warned.warnings).toEqual([
      'mysql: the source user tablewriter@% can also write (INSERT, UPDATE or DELETE) to shop.t, which this import reads; a user with SELECT only is safer',
    ]);
    const stored = await h.store.query('SELECT warnings FROM runs WHERE import_id = $1', [warned.importId]);
    expect(stored.rows[0].warnings).toEqual(warned.warnings);
    expect(await h.runImport(profile('myr', { table: 't' }))).toMatchObject({
      status: 'succeeded',
      rowsRead: 2,
      warnings: [],
    });
  });
});

describe('clickhouse', () => {
  const discovery = () => explorerDiscovery(clickhouseConnector);

  it('the connection test warns for a user whose profile may write (readonly=0), not for a read-only one', async () => {
    expect((await discovery().test({ kind: 'clickhouse', url: ch.url() })).warnings).toEqual([
      'clickhouse: the connection\'s user "default" (its profile has readonly=0) can write (INSERT, UPDATE or DELETE) to every table it can read; ' +
        'imports only read, so a user with SELECT only is safer',
    ]);
    expect(
      (await discovery().test({ kind: 'clickhouse', url: ch.url('default', 'reader', 'secret') })).warnings,
    ).toBeUndefined();
  });

  it('recorded on the run (runs.warnings), which succeeds', async () => {
    const warned = await h.runImport(profile('chw', { table: 'ct' }));
    expect(warned).toMatchObject({ status: 'succeeded', rowsRead: 1 });
    expect(warned.warnings).toEqual([
      'clickhouse: the source user "default" (its profile has readonly=0) can also write (INSERT, UPDATE or DELETE) to ct, which this import reads; ' +
        'a user with SELECT only is safer',
    ]);
    expect(await h.runImport(profile('chr', { table: 'ct' }))).toMatchObject({
      status: 'succeeded',
      rowsRead: 1,
      warnings: [],
    });
  });
});
