-- Snapshot segment imports (sync "snapshot"): each run reads the whole source, and a run that read everything
-- removes the memberships it did not see. A membership remembers the last run that saw it (set by the
-- loader's upsert, unchanged rows included); the removal is then one UPDATE of this import's members whose
-- last_seen_run is older than the run. Not indexed: an index on it would turn every "seen again" write into
-- a non-HOT update; the removal reads the import's memberships through the primary key once per run.
ALTER TABLE segment_memberships ADD COLUMN last_seen_run bigint;

-- What a snapshot run did about removals when it ended: 'removed', or why it removed nothing
-- (rows rejected, NULL cursors, no rows read, stopped). NULL for every other run.
ALTER TABLE runs ADD COLUMN snapshot_removal text;
