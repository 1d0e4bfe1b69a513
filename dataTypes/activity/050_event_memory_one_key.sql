-- The dedup memory keyed by one uuid per event: the user folded into the event's dedup key, and the
-- event's UTC day in front. Each sighting then costs one insertion into (or one conflict on) a 16-byte uuid
-- index, rather than into an index on (dedup_key, id_type, id_value) whose entries carry the user's text;
-- and since the index is ordered by day first, a batch's insertions land in the pages of a few days, not
-- anywhere in an index that grows with every event ever loaded. The merge needs the user only to create
-- unseen identifiers.
-- The key: 4 bytes of days since 1970-01-01 (UTC) + 2^31, big-endian, then bytes 5-16 of
-- md5(id_type US id_value US dedup_key-in-hex). The worker computes it (activities/mapValidate.ts
-- userEventKey); this function computes the same from the events table's columns (purge, and here).
CREATE FUNCTION event_memory_key(id_type text, id_value text, dedup_key uuid, occurred_at timestamptz) RETURNS uuid
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN (lpad(to_hex(floor(extract(epoch FROM occurred_at) / 86400)::bigint + 2147483648), 8, '0')
          || substr(md5(id_type || chr(31) || id_value || chr(31) || replace(dedup_key::text, '-', '')), 9))::uuid;

-- prev_seen_at: the sighting before the last one (NULL for a key seen once). Set by the upsert that
-- renews the window, so the merge can tell from the row it returns whether this sighting was within the
-- window of the one before (a duplicate) or past it (new again), on any Postgres (RETURNING old is 18+).
CREATE TABLE event_memory (
  memory_key    uuid PRIMARY KEY,
  last_seen_at  timestamptz NOT NULL,
  loaded_at     timestamptz NOT NULL,
  prev_seen_at  timestamptz
);
-- What the store remembers carries over: the same events stay duplicates, with the same windows. The day
-- comes from the remembered event in `events` (every remembered key has one: an event is remembered in the
-- transaction that loads it, and purge forgets a key only with the last event holding it).
INSERT INTO event_memory (memory_key, last_seen_at, loaded_at)
SELECT DISTINCT ON (1) event_memory_key(d.id_type, d.id_value, d.dedup_key, e.occurred_at), d.last_seen_at, d.loaded_at
FROM event_dedup d
CROSS JOIN LATERAL (
  SELECT e.occurred_at FROM events e
  WHERE e.id_type = d.id_type AND e.id_value = d.id_value AND e.dedup_key = d.dedup_key LIMIT 1) e
ORDER BY 1, d.last_seen_at DESC;
DROP TABLE event_dedup;
ALTER TABLE event_memory RENAME TO event_dedup;
ALTER INDEX event_memory_pkey RENAME TO event_dedup_pkey;
