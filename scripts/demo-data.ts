/**
 * The demo source for `npm run up`: a small "warehouse" database (demo_source) and one import spec per
 * data type that reads it. Everything is generated in SQL from fixed values, so the contents are the same
 * on every machine, and a re-run inserts nothing (ON CONFLICT DO NOTHING).
 *
 * Tables (each with an `updated_at timestamptz` cursor and a unique `id` tie-breaker):
 *   users              5,000 profiles, plus 3 bad rows: a blank and a reserved ("test") email, which are
 *                      rejected with a reason, and a NULL updated_at, which is counted and reported
 *   events            50,000 events over ~3 months; ~24 rows share each updated_at (cursor ties), and every
 *                      500th event is a resend of the one before (100 duplicates, dropped on import)
 *   user_segments      one row per user with a text[] of segments, then 147 later rows that take users out
 *                      of "churn risk"
 *   identity_links     2,000 email ↔ device links; 200 devices are shared by two emails, which merges persons
 *   household_members  3,000 users in 1,000 households with a role, then 30 later rows of members leaving
 */
import pg from 'pg';
import type { ImportSpecInput } from '../domain/importSpec';
import { DEMO_DATA_LOCK } from '../store/locks';

export const DEMO_DATABASE = 'demo_source';
/** The connection name the demo specs use; the `up` worker resolves it to the demo database. */
export const DEMO_CONNECTION = 'demo';

export const DEMO_USERS = 5_000;
export const DEMO_EVENTS = 50_000;

const FIRST = [
  'Ada',
  'Ben',
  'Chloé',
  'Dev',
  'Elif',
  'Femi',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Kenji',
  'Lena',
  'Mateo',
  'Nora',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tara',
];
const LAST = [
  'Adams',
  'Bianchi',
  'Cohen',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Hansen',
  'Ito',
  'Jansen',
  'Kowalski',
  'Larsen',
  'Müller',
  'Novak',
  'Okafor',
  'Patel',
  'Rossi',
  'Silva',
  'Tanaka',
  'Weber',
];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'ES', 'IT', 'SE', 'JP', 'BR', 'IN', 'NG'];
const PLANS = ['free', 'free', 'free', 'starter', 'starter', 'pro', 'enterprise'];

const sqlArray = (values: string[]): string =>
  `ARRAY[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')}]::text[]`;
/** Pick from a SQL array by an integer expression (1-based arrays). */
const pick = (values: string[], expr: string): string => `(${sqlArray(values)})[1 + ((${expr}) % ${values.length})]`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id               bigint PRIMARY KEY,
  email            text,
  first_name       text,
  last_name        text,
  country          text,
  plan             text,
  lifetime_value   numeric(12,2),
  marketing_opt_in boolean,
  signed_up_at     timestamptz,
  updated_at       timestamptz
);
CREATE TABLE IF NOT EXISTS events (
  id          bigint PRIMARY KEY,
  user_email  text NOT NULL,
  event_type  text NOT NULL,
  occurred_at timestamptz NOT NULL,
  page_url    text,
  amount      numeric(10,2),
  currency    text,
  updated_at  timestamptz
);
CREATE TABLE IF NOT EXISTS user_segments (
  id          bigint PRIMARY KEY,
  user_email  text NOT NULL,
  segments    text[] NOT NULL,
  removed     boolean NOT NULL DEFAULT false,
  updated_at  timestamptz
);
CREATE TABLE IF NOT EXISTS identity_links (
  id          bigint PRIMARY KEY,
  email       text NOT NULL,
  device_id   text NOT NULL,
  updated_at  timestamptz
);
CREATE TABLE IF NOT EXISTS household_members (
  id              bigint PRIMARY KEY,
  household_id    text NOT NULL,
  user_email      text NOT NULL,
  role            text,
  left_household  boolean NOT NULL DEFAULT false,
  updated_at      timestamptz
);
`;

// All base times are fixed, so the data is the same on every machine and every run.
const USERS = `
INSERT INTO users (id, email, first_name, last_name, country, plan, lifetime_value, marketing_opt_in, signed_up_at, updated_at)
SELECT g,
       translate(lower(${pick(FIRST, 'g')} || '.' || ${pick(LAST, 'g * 7 + g / 20')}), 'éíü', 'eiu') || g || '@example.com',
       ${pick(FIRST, 'g')},
       ${pick(LAST, 'g * 7 + g / 20')},
       ${pick(COUNTRIES, 'g * 13')},
       ${pick(PLANS, 'g * 17')},
       round(((g * 7919) % 250000) / 100.0, 2),
       g % 3 <> 0,
       timestamptz '2023-01-01 00:00:00+00' + ((g * 104729) % 63072000) * interval '1 second'
         + ((g * 7919) % 1000000) * interval '1 microsecond',
       timestamptz '2025-06-01 00:00:00+00' + (g / 10) * interval '1 minute'   -- 10 users per cursor value
FROM generate_series(1::bigint, ${DEMO_USERS}) AS g
ON CONFLICT (id) DO NOTHING`;

// A few rows a real warehouse has: rejected with a reason, or counted as NULL-cursor rows.
const BAD_USERS = `
INSERT INTO users (id, email, first_name, last_name, country, plan, lifetime_value, marketing_opt_in, signed_up_at, updated_at) VALUES
  (${DEMO_USERS + 1}, '   ',  'Blank', 'Email', 'US', 'free', 0, false, NULL, timestamptz '2025-06-04 12:00:00+00'),
  (${DEMO_USERS + 2}, 'test', 'Reserved', 'Id',  'US', 'free', 0, false, NULL, timestamptz '2025-06-04 12:00:00+00'),
  (${DEMO_USERS + 3}, 'no.cursor@example.com', 'No', 'Cursor', 'US', 'free', 0, false, NULL, NULL)
ON CONFLICT (id) DO NOTHING`;

const EVENT_TYPES = [
  'page_view',
  'page_view',
  'page_view',
  'page_view',
  'page_view',
  'page_view',
  'page_view',
  'page_view',
  'product_view',
  'product_view',
  'product_view',
  'product_view',
  'search',
  'search',
  'add_to_cart',
  'add_to_cart',
  'purchase',
  'email_open',
  'email_open',
  'email_click',
];

// b is the event's content seed: every 500th event repeats the previous one (a client resend).
const EVENTS = `
INSERT INTO events (id, user_email, event_type, occurred_at, page_url, amount, currency, updated_at)
SELECT g, u.email, e.event_type, e.occurred_at,
       CASE WHEN e.event_type IN ('page_view', 'product_view', 'add_to_cart', 'purchase')
            THEN '/products/' || ((e.b * 31) % 300) END,
       CASE WHEN e.event_type IN ('add_to_cart', 'purchase') THEN round(5 + ((e.b * 7919) % 20000) / 100.0, 2) END,
       CASE WHEN e.event_type IN ('add_to_cart', 'purchase') THEN ${pick(['EUR', 'USD', 'GBP'], 'e.b')} END,
       date_trunc('hour', e.occurred_at) + interval '1 hour'   -- ~24 events per cursor value
FROM generate_series(1::bigint, ${DEMO_EVENTS}) AS g
CROSS JOIN LATERAL (SELECT CASE WHEN g % 500 = 0 THEN g - 1 ELSE g END AS b) AS s
CROSS JOIN LATERAL (
  SELECT s.b,
         ${pick(EVENT_TYPES, '(s.b * 7) + s.b / 3')} AS event_type,
         timestamptz '2025-06-01 00:00:00+00' + s.b * interval '150 seconds'
           + ((s.b * 104729) % 1000000) * interval '1 microsecond' AS occurred_at,
         1 + ((s.b * 37) % ${DEMO_USERS}) AS user_id
) AS e
JOIN users u ON u.id = e.user_id
ON CONFLICT (id) DO NOTHING`;

const SEGMENTS = `
INSERT INTO user_segments (id, user_email, segments, removed, updated_at)
SELECT u.id, u.email,
       ARRAY['plan:' || u.plan]
         || CASE WHEN u.lifetime_value > 2000 THEN ARRAY['vip'] ELSE ARRAY[]::text[] END
         || CASE WHEN u.marketing_opt_in THEN ARRAY['newsletter'] ELSE ARRAY[]::text[] END
         || CASE WHEN u.id % 17 = 0 THEN ARRAY['churn risk'] ELSE ARRAY[]::text[] END,
       false,
       timestamptz '2025-07-01 00:00:00+00' + (u.id / 50) * interval '1 minute'
FROM users u WHERE u.id <= ${DEMO_USERS}
UNION ALL   -- later: every other "churn risk" user is no longer at risk (147 removals)
SELECT ${DEMO_USERS} + u.id / 34, u.email, ARRAY['churn risk'], true,
       timestamptz '2025-07-10 00:00:00+00' + (u.id / 34) * interval '1 minute'
FROM users u WHERE u.id <= ${DEMO_USERS} AND u.id % 34 = 0
ON CONFLICT (id) DO NOTHING`;

// 2,000 links over 1,800 devices: 200 devices are shared by two emails, which merges their persons.
const LINKS = `
INSERT INTO identity_links (id, email, device_id, updated_at)
SELECT g, u.email, 'device-' || lpad(((g - 1) % 1800)::text, 4, '0'),
       timestamptz '2025-07-15 00:00:00+00' + (g / 20) * interval '1 minute'
FROM generate_series(1::bigint, 2000) AS g JOIN users u ON u.id = g
ON CONFLICT (id) DO NOTHING`;

const HOUSEHOLDS = `
INSERT INTO household_members (id, household_id, user_email, role, left_household, updated_at)
SELECT g, 'hh-' || lpad(((g - 1) / 3)::text, 4, '0'), u.email,
       CASE WHEN g % 3 = 1 THEN 'owner' ELSE 'member' END,
       false,
       timestamptz '2025-08-01 00:00:00+00' + (g / 30) * interval '1 minute'
FROM generate_series(1::bigint, 3000) AS g JOIN users u ON u.id = g
UNION ALL   -- later: every 100th of them leaves their household (30 removals)
SELECT 3000 + g / 100, 'hh-' || lpad(((g - 1) / 3)::text, 4, '0'), u.email, NULL, true,
       timestamptz '2025-08-10 00:00:00+00' + (g / 100) * interval '1 minute'
FROM generate_series(100::bigint, 3000, 100) AS g JOIN users u ON u.id = g
ON CONFLICT (id) DO NOTHING`;

export interface DemoDataResult {
  /** Rows inserted by this call, per table (all zero on a re-run). */
  inserted: Record<string, number>;
  /** Rows whose cursor was moved to now (content unchanged) so a re-run has something to re-read. */
  touched: { users: number; events: number };
}

/**
 * Create the demo tables and rows if missing. When they were already there, re-stamp a slice of users
 * and events with a fresh updated_at (content unchanged), as a warehouse rewriting rows would: the next
 * import run re-reads them and reports them as unchanged profiles and duplicate events.
 */
export async function ensureDemoData(url: string, options: { touch?: boolean } = {}): Promise<DemoDataResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'tributary-demo-data' });
  await client.connect();
  try {
    await client.query('BEGIN');
    // One loader at a time, even if two `npm run up` raced.
    await client.query('SELECT pg_advisory_xact_lock($1)', [DEMO_DATA_LOCK]);
    await client.query(SCHEMA);
    const inserted: Record<string, number> = {};
    inserted.users = (await client.query(USERS)).rowCount ?? 0;
    inserted.users += (await client.query(BAD_USERS)).rowCount ?? 0;
    inserted.events = (await client.query(EVENTS)).rowCount ?? 0;
    inserted.user_segments = (await client.query(SEGMENTS)).rowCount ?? 0;
    inserted.identity_links = (await client.query(LINKS)).rowCount ?? 0;
    inserted.household_members = (await client.query(HOUSEHOLDS)).rowCount ?? 0;
    const touched = { users: 0, events: 0 };
    const fresh = Object.values(inserted).some((n) => n > 0);
    if (!fresh && options.touch !== false) {
      // Stamped with the write's own time, as the cursor contract asks: beyond every earlier position.
      touched.users = (await client.query('UPDATE users SET updated_at = now() WHERE id % 10 = 0')).rowCount ?? 0;
      touched.events = (await client.query('UPDATE events SET updated_at = now() WHERE id % 25 = 0')).rowCount ?? 0;
    }
    await client.query('COMMIT');
    if (fresh) await client.query('ANALYZE');
    return { inserted, touched };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
  }
}

/** The demo imports, one per data type. Small batches, so there is something to watch in the Web UI. */
export const demoProfilesSpec = {
  id: 'demo-profiles',
  name: 'Demo: user profiles',
  dataType: 'profile',
  source: { connection: DEMO_CONNECTION, table: 'users' },
  cursor: { column: 'updated_at', key: 'id' },
  identifiers: { lowerCase: true },
  batchSize: 1000,
  mapping: {
    userId: { column: 'email' },
    idType: { value: 'email' },
    attributes: [
      { column: 'first_name' },
      { column: 'last_name' },
      { column: 'country' },
      { column: 'plan' },
      { column: 'lifetime_value', type: 'number' },
      { column: 'marketing_opt_in', type: 'boolean' },
      { column: 'signed_up_at', type: 'timestamp' },
    ],
  },
} satisfies ImportSpecInput;

export const demoEventsSpec = {
  id: 'demo-events',
  name: 'Demo: web and email activity',
  dataType: 'activity',
  source: { connection: DEMO_CONNECTION, table: 'events' },
  cursor: { column: 'updated_at', key: 'id' },
  identifiers: { lowerCase: true },
  batchSize: 2000,
  mapping: {
    userId: { column: 'user_email' },
    idType: { value: 'email' },
    eventType: { column: 'event_type' },
    timestamp: { column: 'occurred_at' },
    properties: [{ column: 'page_url', property: 'url' }, { column: 'amount', type: 'number' }, { column: 'currency' }],
  },
} satisfies ImportSpecInput;

export const demoSegmentsSpec = {
  id: 'demo-segments',
  name: 'Demo: segments',
  dataType: 'segments',
  source: { connection: DEMO_CONNECTION, table: 'user_segments' },
  cursor: { column: 'updated_at', key: 'id' },
  identifiers: { lowerCase: true },
  // 5,000 memberships rows, then the removals: in a batch of their own, so they count as removed.
  batchSize: 1000,
  mapping: {
    userId: { column: 'user_email' },
    idType: { value: 'email' },
    segment: { column: 'segments', array: true },
    removed: { column: 'removed' },
  },
} satisfies ImportSpecInput;

export const demoIdentitySpec = {
  id: 'demo-identity',
  name: 'Demo: email-device links',
  dataType: 'identity',
  source: { connection: DEMO_CONNECTION, table: 'identity_links' },
  cursor: { column: 'updated_at', key: 'id' },
  identifiers: { lowerCase: true },
  batchSize: 500,
  mapping: {
    left: { idType: { value: 'email' }, value: { column: 'email' } },
    right: { idType: { value: 'device_id' }, value: { column: 'device_id' } },
  },
} satisfies ImportSpecInput;

export const demoGroupSpec = {
  id: 'demo-households',
  name: 'Demo: households',
  dataType: 'group',
  source: { connection: DEMO_CONNECTION, table: 'household_members' },
  cursor: { column: 'updated_at', key: 'id' },
  identifiers: { lowerCase: true },
  // 3,000 members, then the 30 who leave: in a batch of their own, so they count as removed.
  batchSize: 1000,
  mapping: {
    userId: { column: 'user_email' },
    idType: { value: 'email' },
    groupId: { column: 'household_id' },
    groupType: { value: 'household' },
    role: { column: 'role' },
    removed: { column: 'left_household' },
  },
} satisfies ImportSpecInput;

/** What `npm run up` runs, in this order: profiles first, so the activity lands on known users. */
export const DEMO_SPECS: ImportSpecInput[] = [
  demoProfilesSpec,
  demoEventsSpec,
  demoSegmentsSpec,
  demoIdentitySpec,
  demoGroupSpec,
];
