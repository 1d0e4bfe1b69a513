/**
 * An event's dedup key and dedup memory key, as the activity mapping writes them, against the store's own
 * reckoning: Postgres's md5 over the documented key text (event type US occurred_at US properties, the
 * timestamp printed by Postgres itself), and the store's event_memory_key (migration 050) over the stored
 * columns. The store remembers both across versions, so a change to either text or hash fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { freshDatabase } from './helpers/harness';
import { createPool } from '../store/store';
import { migrate } from '../store/migrate';
import { activityType } from '../dataTypes/activity/activity';
import { mappingKit } from '../engine/mapValidate';
import { parseImportSpec, type PropertyMapping } from '../domain/importSpec';

let pool: pg.Pool;
beforeAll(async () => {
  pool = createPool(await freshDatabase('eventkeys'), 2);
  await migrate(pool);
});
afterAll(async () => {
  await pool?.end();
});

interface Case {
  what: string;
  idType: string;
  id: string;
  eventType: string;
  /** The source's timestamp text. */
  at: string;
  properties: (PropertyMapping & { value: string | null })[];
  /** The properties' key text, written out here: canonical JSON (keys sorted, no whitespace). */
  keyText: string;
}

const cases: Case[] = [
  {
    what: 'ASCII, microseconds',
    idType: 'email',
    id: 'ann@example.com',
    eventType: 'purchase',
    at: '2024-03-05T06:07:08.123456Z',
    properties: [
      { column: 'sku', type: 'string', value: 'A-1' },
      { column: 'qty', type: 'number', value: '3' },
    ],
    keyText: '{"qty":3,"sku":"A-1"}',
  },
  {
    what: 'non-ASCII user, event type and values; an offset that moves the UTC day',
    idType: 'external_id',
    id: 'zoë-Ärger-😀',
    eventType: 'café ☕',
    at: '2024-12-31T23:59:59.999999-05:00',
    properties: [
      { column: 'city', type: 'string', value: 'Zürich' },
      { column: 'mood', property: 'émoji', type: 'string', value: '😀' },
    ],
    keyText: '{"city":"Zürich","émoji":"😀"}',
  },
  {
    what: 'no properties',
    idType: 'email',
    id: 'bob@example.com',
    eventType: 'login',
    at: '2026-01-02T03:04:05.000001Z',
    properties: [],
    keyText: '{}',
  },
  {
    what: 'a NULL property, a tab and a backslash in the event type (escaped in COPY, not in the key)',
    idType: 'email',
    id: 'cy@example.com',
    eventType: 'a\tb\\c',
    at: '1969-12-31T23:59:59.5Z',
    properties: [{ column: 'note', type: 'string', value: null }],
    keyText: '{"note":null}',
  },
  {
    what: 'a JSON number a double cannot hold: the key keeps the earlier rendering',
    idType: 'email',
    id: 'dee@example.com',
    eventType: 'sync',
    at: '2025-06-30T12:00:00Z',
    properties: [{ column: 'ctx', type: 'json', value: '{"id": 12345678901234567890, "b": [1.0, "x"]}' }],
    keyText: '{"ctx":{"b":[1,"x"],"id":12345678901234567000}}',
  },
];

/** COPY text field back to its text. */
const unCopy = (f: string): string | null =>
  f === '\\N'
    ? null
    : f.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));

describe("an event's keys", () => {
  it('are the md5 and event_memory_key the store computes from the event as stored', async () => {
    for (const c of cases) {
      const spec = parseImportSpec({
        id: 'keys',
        name: 'keys',
        dataType: 'activity',
        source: { connection: 'warehouse', table: 'events' },
        cursor: { column: 'at', key: 'k' },
        mapping: {
          userId: { column: 'uid' },
          idType: { column: 'kind' },
          eventType: { column: 'ev' },
          timestamp: { column: 'at' },
          properties: c.properties.map(({ value: _, ...p }) => p),
        },
      });
      const values: Record<string, string | null> = { k: '1', uid: c.id, kind: c.idType, ev: c.eventType, at: c.at };
      for (const p of c.properties) values[p.column] = p.value;
      const kit = mappingKit(spec);
      const r = activityType.compile(spec as never, kit)(
        kit.columns.map((col) => values[col] ?? null),
        1,
      );
      if (!r.ok) throw new Error(`${c.what}: ${r.column}: ${r.reason}`);
      const [idType, idValue, eventType, occurredAt, , dedupKey, memoryKey] = r
        .row!.slice(0, -1)
        .split('\t')
        .map(unCopy);
      expect([idType, idValue, eventType], c.what).toEqual([c.idType, c.id, c.eventType]);
      expect(r.dedup, c.what).toBe(memoryKey);

      const expected = await pool.query<{ key: string; memory: string; at: string }>(
        `WITH e AS (SELECT $4::timestamptz AS at)
         SELECT k.key, replace(event_memory_key($1, $2, k.key::uuid, e.at)::text, '-', '') AS memory, k.at
         FROM e, LATERAL (
           SELECT md5($3 || chr(31) || to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                      || chr(31) || $5) AS key,
                  to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at) k`,
        [c.idType, c.id, c.eventType, c.at, c.keyText],
      );
      const want = expected.rows[0]!;
      expect(occurredAt, c.what).toBe(want.at);
      expect(dedupKey, c.what).toBe(want.key);
      expect(memoryKey, c.what).toBe(want.memory);
    }
  });
});
