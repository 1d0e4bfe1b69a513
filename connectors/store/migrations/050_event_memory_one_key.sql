-- The dedup memory keyed by one uuid per event: the user folded into the event's dedup key,
-- md5(id_type US id_value US dedup_key-in-hex). Each sighting then costs one insertion into (or one
-- conflict on) a 16-byte uuid index, rather than into an index on (dedup_key, id_type, id_value) whose
-- entries carry the user's text, and the merge needs the user only to create unseen identifiers.
-- The worker computes the same key (activities/mapValidate.ts userEventKey); this function computes it in
-- the store, from the events table's columns (purge) and from the old memory here.
CREATE FUNCTION event_memory_key(id_type text, id_value text, dedup_key uuid) RETURNS uuid
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN md5(id_type || chr(31) || id_value || chr(31) || replace(dedup_key::text, '-', ''))::uuid;

CREATE TABLE event_memory (
  memory_key    uuid PRIMARY KEY,
  last_seen_at  timestamptz NOT NULL,
  loaded_at     timestamptz NOT NULL
);
-- What the store remembers carries over: the same events stay duplicates, with the same windows.
INSERT INTO event_memory (memory_key, last_seen_at, loaded_at)
SELECT event_memory_key(id_type, id_value, dedup_key), last_seen_at, loaded_at FROM event_dedup
ORDER BY 1;
DROP TABLE event_dedup;
ALTER TABLE event_memory RENAME TO event_dedup;
ALTER INDEX event_memory_pkey RENAME TO event_dedup_pkey;
