-- The dedup memory of an event seen once is its own row in `events`: the row carries its memory key, and a
-- unique index on that key is the memory. Loading an event then costs one row and one 16-byte index entry,
-- instead of the row plus a second row and index entry in event_dedup. event_dedup keeps what the row cannot:
-- the sightings after the one that loaded the event (each renews the window), and the memory of events
-- stored before this migration (their rows carry no key). A key's last sighting is its event_dedup row's
-- last_seen_at when it has one, else the loaded_at of the event row holding the key.
-- At most one row holds a key: an event loaded again past the window takes the key from the row loaded
-- before (which keeps its data, only no longer the key), so the index stays unique.
-- Rows without a key (loaded before this migration, or loaded again since) are not in the index: the column
-- is added without a default, so existing stores are not rewritten, and the index starts empty.
ALTER TABLE events ADD COLUMN memory_key uuid;
CREATE UNIQUE INDEX events_memory ON events (memory_key) WHERE memory_key IS NOT NULL;
