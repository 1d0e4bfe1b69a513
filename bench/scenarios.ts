/**
 * The bench's two scenarios: the source table each imports (generated server-side with
 * generate_series), the import spec that reads it, and the counts a correct import must end with.
 */
import type pg from 'pg';
import type { ImportSpecInput } from '../domain/importSpec';

export type ScenarioName = 'events' | 'profiles' | 'csv';

export interface Expected {
  /** Rows the run reads. */
  rowsRead: number;
  /** Rows the store must hold for this import when the run is done. */
  storeRows: number;
  /** Checks on the run record (field → expected value). */
  run: Record<string, number>;
}

export interface Scenario {
  name: ScenarioName;
  /** Source table (also the shape of the floor's target table). */
  table: string;
  /** Create and fill the source table with `rows` rows. */
  generate(source: pg.Pool, rows: number): Promise<void>;
  spec(importId: string, batchSize: number): ImportSpecInput;
  expected(rows: number): Expected;
  /** Rows in the store for this import (compared with expected().storeRows). */
  countStore(store: pg.Pool, importId: string): Promise<number>;
  /** File scenarios (bench/csvScenario.ts): the file written from the source table, its own floor, its connection. */
  files?: {
    write(sourceUrl: string, dir: string, log: (line: string) => void): Promise<void>;
    floor(sourceUrl: string, storeUrl: string, dir: string): Promise<{ rows: number; seconds: number }>;
    connections(dir: string): Record<string, string>;
  };
}

/**
 * Activity events. About 10 columns of realistic widths: a user id, an event type, the event time to
 * the microsecond, the cursor (updated_at, whole seconds, 1,000 rows per value: many ties), a page URL,
 * an amount (purchases and carts only), a boolean, a session UUID and a JSON context.
 *
 * Every 20th row (5%) is an exact duplicate of an earlier event under the dedup rules (same user, type,
 * µs timestamp and typed properties), with its own id and cursor: half copy the row just before (same
 * batch, in-batch dedup), half a row ~25,000 rows back (usually an earlier batch: the store's dedup memory).
 */
const DUP_NEAR = 1;
const DUP_FAR = 24_989;
const dupOffset = (g: number): number => (g % 40 === 0 ? DUP_NEAR : DUP_FAR);
const isDuplicate = (g: number): boolean => g % 20 === 0 && g - dupOffset(g) >= 1;
/** Whether source row g repeats the row just before it (the worker drops it within the chunk). */
export const isNearDuplicate = (g: number): boolean => isDuplicate(g) && dupOffset(g) === DUP_NEAR;
/** The source row whose event row g repeats from far back (an earlier batch, as a rule), or null. */
export const farDuplicateOf = (g: number): number | null =>
  isDuplicate(g) && dupOffset(g) === DUP_FAR ? g - DUP_FAR : null;

export const eventsScenario: Scenario = {
  name: 'events',
  table: 'bench_events',
  async generate(source, rows) {
    const users = Math.max(1_000, Math.floor(rows / 10));
    await source.query('DROP TABLE IF EXISTS bench_events');
    await source.query(`CREATE TABLE bench_events (
      id          bigint NOT NULL,
      user_id     text NOT NULL,
      event_type  text NOT NULL,
      occurred_at timestamptz NOT NULL,
      updated_at  timestamptz NOT NULL,
      page_url    text,
      amount      numeric(12,2),
      is_mobile   boolean,
      session_id  uuid,
      context     text
    )`);
    // o: the event a row carries (itself, or the earlier event it duplicates).
    await source.query(
      `INSERT INTO bench_events
       SELECT g,
              'user_' || lpad(((o * 7919) % $2)::text, 8, '0'),
              (ARRAY['page_view','page_view','page_view','click','add_to_cart','checkout','purchase','search','login','signup'])[1 + (o * 31) % 10],
              timestamptz '2025-01-01 00:00:00+00' + o * interval '7 seconds' + (o % 997) * interval '1 microsecond',
              date_trunc('second', now()) - interval '2 days' + (g / 1000) * interval '1 second',
              'https://shop.example.com/' || (ARRAY['products','category','cart','search','account'])[1 + o % 5] || '/'
                || substr(md5(o::text), 1, 14) || '?utm_source=' || (ARRAY['newsletter','google','facebook','direct'])[1 + o % 4],
              CASE WHEN (o * 31) % 10 IN (4, 6) THEN ((o * 37) % 100000) / 100.0 END,
              o % 3 = 0,
              md5((o / 20)::text)::uuid,
              '{"campaign":"' || (ARRAY['spring_sale','black_friday','retarget','none'])[1 + o % 4] || '","ab":{"variant":"'
                || chr(65 + (o % 3)::int) || '","exp":' || (o % 50) || '},"items":' || (o % 7) || ',"referrer":"https://ref'
                || (o % 100) || '.example.org/"}'
       FROM (SELECT g, CASE WHEN g % 20 = 0 AND g - (CASE WHEN g % 40 = 0 THEN ${DUP_NEAR} ELSE ${DUP_FAR} END) >= 1
                            THEN g - (CASE WHEN g % 40 = 0 THEN ${DUP_NEAR} ELSE ${DUP_FAR} END) ELSE g END AS o
             FROM generate_series(1, $1::bigint) g) s`,
      [rows, users],
    );
    await source.query('ALTER TABLE bench_events ADD PRIMARY KEY (id)');
    // The index any warehouse table synced by a cursor has.
    await source.query('CREATE INDEX ON bench_events (updated_at, id)');
  },
  spec(importId, batchSize) {
    return {
      id: importId,
      name: 'bench events',
      dataType: 'activity',
      source: { connection: 'warehouse', table: 'bench_events' },
      cursor: { column: 'updated_at', key: 'id', lag: 0 },
      batchSize,
      mapping: {
        userId: { column: 'user_id' },
        idType: { value: 'external_id' },
        eventType: { column: 'event_type' },
        timestamp: { column: 'occurred_at' },
        properties: [
          { column: 'page_url', type: 'string' },
          { column: 'amount', type: 'number' },
          { column: 'is_mobile', type: 'boolean' },
          { column: 'session_id', type: 'string' },
          { column: 'context', type: 'json' },
        ],
      },
    };
  },
  expected(rows) {
    let duplicates = 0;
    for (let g = 20; g <= rows; g += 20) if (isDuplicate(g)) duplicates++;
    return {
      rowsRead: rows,
      storeRows: rows - duplicates,
      run: { rowsRead: rows, created: rows - duplicates, duplicates, rejected: 0 },
    };
  },
  async countStore(store, importId) {
    const r = await store.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE import_id = $1', [importId]);
    return Number(r.rows[0]!.n);
  },
};

/**
 * Profile upserts: 11 columns (id, user id, email, names, country, plan, lifetime value, active flag,
 * signup time, cursor). 90% of the rows are distinct users; the last 10% update users seen earlier
 * (a new plan and value), so the last row per user wins.
 */
const distinctProfiles = (rows: number): number => Math.ceil(rows * 0.9);

export const profilesScenario: Scenario = {
  name: 'profiles',
  table: 'bench_profiles',
  async generate(source, rows) {
    await source.query('DROP TABLE IF EXISTS bench_profiles');
    await source.query(`CREATE TABLE bench_profiles (
      id             bigint NOT NULL,
      user_id        text NOT NULL,
      email          text,
      first_name     text,
      last_name      text,
      country        text,
      plan           text,
      lifetime_value numeric(12,2),
      is_active      boolean,
      signup_at      timestamptz,
      updated_at     timestamptz NOT NULL
    )`);
    await source.query(
      `INSERT INTO bench_profiles
       SELECT g,
              'cust_' || lpad(u::text, 9, '0'),
              'customer.' || u || '@' || (ARRAY['example.com','mail.example.org','corp.example.net'])[1 + u % 3],
              (ARRAY['Alice','Bruno','Chloé','Dmitri','Emeka','Fatima','Giulia','Hiro','Ines','Jonas'])[1 + u % 10],
              (ARRAY['Martin','Okafor','Rossi','Tanaka','Schmidt','García','Dubois','Novak','Silva','Kowalski'])[1 + (u / 10) % 10],
              (ARRAY['FR','DE','US','GB','JP','BR','NG','IT','ES','PL'])[1 + (u * 7) % 10],
              (ARRAY['free','starter','pro','enterprise'])[1 + (g * 13) % 4],
              ((g * 7919) % 10000000) / 100.0,
              g % 9 <> 0,
              timestamptz '2020-01-01 00:00:00+00' + u * interval '61 seconds' + (u % 1000) * interval '1 millisecond',
              date_trunc('second', now()) - interval '2 days' + (g / 1000) * interval '1 second'
       FROM (SELECT g, CASE WHEN g <= $2 THEN g ELSE 1 + ((g - $2 - 1) * 7) % $2 END AS u
             FROM generate_series(1, $1::bigint) g) s`,
      [rows, distinctProfiles(rows)],
    );
    await source.query('ALTER TABLE bench_profiles ADD PRIMARY KEY (id)');
    await source.query('CREATE INDEX ON bench_profiles (updated_at, id)');
  },
  spec(importId, batchSize) {
    return {
      id: importId,
      name: 'bench profiles',
      dataType: 'profile',
      mode: 'upsert',
      source: { connection: 'warehouse', table: 'bench_profiles' },
      cursor: { column: 'updated_at', key: 'id', lag: 0 },
      batchSize,
      mapping: {
        userId: { column: 'user_id' },
        idType: { value: 'customer_id' },
        attributes: [
          { column: 'email', type: 'string' },
          { column: 'first_name', type: 'string' },
          { column: 'last_name', type: 'string' },
          { column: 'country', type: 'string' },
          { column: 'plan', type: 'string' },
          { column: 'lifetime_value', type: 'number' },
          { column: 'is_active', type: 'boolean' },
          { column: 'signup_at', type: 'timestamp' },
        ],
      },
    };
  },
  expected(rows) {
    const users = distinctProfiles(rows);
    return {
      rowsRead: rows,
      storeRows: users,
      // Every user is new to the store (its own id type); later rows for a user update it or change nothing.
      run: { rowsRead: rows, created: users, profilesCreated: users, rejected: 0, skipped: 0 },
    };
  },
  async countStore(store, importId) {
    const r = await store.query<{ n: string }>('SELECT count(*) AS n FROM profile_attributes WHERE import_id = $1', [
      importId,
    ]);
    return Number(r.rows[0]!.n);
  },
};

/** The table scenarios; the CSV one (bench/csvScenario.ts) builds on events and is added by run.ts. */
export const scenarios: Record<Exclude<ScenarioName, 'csv'>, Scenario> = {
  events: eventsScenario,
  profiles: profilesScenario,
};
