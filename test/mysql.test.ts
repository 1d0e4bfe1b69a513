/** MySQL / MariaDB → store through the real import workflow, against a real MariaDB server on loopback. */
import net from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHarness, type Harness, uniqueId } from './helpers/harness';
import { type MariaDb, startMariaDb } from './helpers/mariadb';
import { freePort } from './helpers/servers';

let db: MariaDb;
let h: Harness;
/** A port where nothing listens yet: the `later` connection reaches MariaDB only once a forwarder opens it. */
let laterPort: number;
beforeAll(async () => {
  db = await startMariaDb();
  await db.createDatabase('shop');
  // The worker reads as a user with SELECT only (a root connection is refused unless the operator allows it).
  await db.exec("CREATE USER 'tributary'@'%' IDENTIFIED BY 'pw'");
  await db.exec("GRANT SELECT ON shop.* TO 'tributary'@'%'");
  const shop = db.url('shop', 'tributary', 'pw');
  laterPort = await freePort();
  const later = shop.replace(`:${db.port}/`, `:${laterPort}/`);
  h = await createHarness('mysql', { connections: { shop, badpw: db.url('shop', 'tributary', 'wrong'), later } });
});
afterAll(async () => {
  await h?.close();
  await db?.stop();
});

it('events: ties on a DATETIME(6) cursor across batches, exact decimals, TIMESTAMP as UTC; a re-run reads nothing', async () => {
  await db.exec(`CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, uid VARCHAR(64), total DECIMAL(30,4), placed_at TIMESTAMP(6) NULL,
    updated_at DATETIME(6))`);
  // 1,000 rows, ten cursor values, so every batch of 37 starts and ends inside a tie.
  const rows = Array.from({ length: 1000 }, (_, i) => {
    const id = i + 1;
    return `(${id}, 'u${id % 13}', ${id === 7 ? "'123456789012345678901234.5678'" : `${id}.25`},
      '2024-02-29 12:34:56.${String(id).padStart(6, '0')}', '2024-03-01 00:00:0${id % 10}.000001')`;
  });
  await db.exec(`INSERT INTO shop.orders VALUES ${rows.join(',')}`);
  const spec = {
    id: uniqueId('mysql-orders'),
    name: 'orders from mariadb',
    dataType: 'activity' as const,
    batchSize: 37,
    source: { connection: 'shop', table: 'orders' },
    cursor: { column: 'updated_at', key: 'id', lag: 0 },
    mapping: {
      userId: { column: 'uid' },
      eventType: { value: 'order' },
      timestamp: { column: 'placed_at' },
      properties: [
        { column: 'id', property: 'order_id', type: 'number' as const },
        { column: 'total', type: 'number' as const },
      ],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 1000, created: 1000, rejected: 0, duplicates: 0 });
  const loaded = await h.store.query<{ id: string; total: string; at: string }>(
    `SELECT properties->>'order_id' AS id, properties->>'total' AS total,
       to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at
     FROM events WHERE import_id = $1 ORDER BY (properties->>'order_id')::bigint`,
    [spec.id],
  );
  expect(loaded.rows.length).toBe(1000);
  expect(new Set(loaded.rows.map((r) => r.id)).size).toBe(1000);
  expect(loaded.rows[6]).toEqual({ id: '7', total: '123456789012345678901234.5678', at: '2024-02-29 12:34:56.000007' });
  expect(await h.runImport(spec)).toMatchObject({ status: 'succeeded', rowsRead: 0 });
});

it('profiles from a custom SELECT with a BIGINT sequence cursor; NULL cursors are counted', async () => {
  await db.exec(
    `CREATE TABLE shop.customers (id INT PRIMARY KEY, email VARCHAR(200), tier VARCHAR(20), seq BIGINT UNSIGNED NULL)`,
  );
  await db.exec(`INSERT INTO shop.customers VALUES (1, 'a@x.com', 'gold', 18446744073709551000), (2, 'b@x.com', 'silver', 18446744073709551000),
    (3, 'c@x.com', 'gold', 18446744073709551001), (4, 'd@x.com', 'gold', NULL)`);
  const spec = {
    id: uniqueId('mysql-customers'),
    name: 'customers',
    dataType: 'profile' as const,
    batchSize: 1,
    source: {
      connection: 'shop',
      query: "SELECT id, email, tier, seq FROM customers WHERE tier <> 'silver' -- no silver",
    },
    cursor: { column: 'seq', key: 'id', lag: 0 },
    mapping: {
      userId: { column: 'email' },
      idType: { value: 'email' },
      attributes: [{ column: 'tier', type: 'string' as const }],
    },
  };
  const run = await h.runImport(spec);
  expect(run).toMatchObject({ status: 'succeeded', rowsRead: 2, created: 2, nullCursor: 1 });
  const pos = await h.store.query('SELECT cursor_value FROM positions WHERE import_id = $1', [spec.id]);
  expect(pos.rows[0].cursor_value).toBe('18446744073709551001');
});

it('bad credentials fail the run at once, without retries, saying so', async () => {
  const handle = await h.startImport({
    id: uniqueId('mysql-badpw'),
    name: 'bad password',
    dataType: 'profile',
    source: { connection: 'badpw', table: 'customers' },
    cursor: { column: 'seq', key: 'id' },
    mapping: { userId: { column: 'email' } },
  });
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(String(((err as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toMatch(
    /mysql: authentication failed/,
  );
  const history = await handle.fetchHistory();
  // No activity was tried twice (beginRun, then the record of the failed run and its end).
  expect(
    Math.max(
      ...history
        .events!.filter((e) => e.activityTaskStartedEventAttributes)
        .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1),
    ),
  ).toBe(1);
});

it('an unreachable source is retried: the run succeeds once the host answers', async () => {
  await db.exec('CREATE TABLE shop.late_users (id INT PRIMARY KEY, email VARCHAR(200), seq INT)');
  await db.exec("INSERT INTO shop.late_users VALUES (1, 'a@x.com', 1), (2, 'b@x.com', 2)");
  const handle = await h.startImport({
    id: uniqueId('mysql-later'),
    name: 'source comes up later',
    dataType: 'profile',
    source: { connection: 'later', table: 'late_users' },
    cursor: { column: 'seq', key: 'id', lag: 0 },
    mapping: { userId: { column: 'email' } },
  });
  // The first attempts find nothing listening (connection refused); then a forwarder to MariaDB opens.
  await new Promise((r) => setTimeout(r, 1500));
  const forwarder = net.createServer((client) => {
    const upstream = net.connect(db.port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => forwarder.listen(laterPort, '127.0.0.1', r));
  try {
    const run = await handle.result();
    expect(run).toMatchObject({ status: 'succeeded', rowsRead: 2, created: 2 });
    const history = await handle.fetchHistory();
    // Retries of one scheduled activity show as its started event's attempt and last failure.
    const attempts = history
      .events!.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    expect(
      history.events!.some((e) =>
        (e.activityTaskStartedEventAttributes?.lastFailure?.message ?? '').includes('mysql: cannot reach'),
      ),
    ).toBe(true);
  } finally {
    forwarder.close();
  }
});
