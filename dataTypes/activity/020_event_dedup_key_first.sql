-- The dedup memory's primary key leads with the dedup key (an MD5 of the event) instead of the user.
-- The same set of columns, so the same uniqueness, but each insertion is decided by comparing 16 bytes,
-- rarely the user's text: remembering an event costs about half as much (bench: ~3 µs less per event).
ALTER TABLE event_dedup DROP CONSTRAINT event_dedup_pkey;
ALTER TABLE event_dedup ADD CONSTRAINT event_dedup_pkey PRIMARY KEY (dedup_key, id_type, id_value);
