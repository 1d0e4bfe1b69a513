-- Each profile and membership remembers the source order (the cursor, as a number) of the row that last
-- wrote it, so a row committed later by another stream (a backfill partition, or the incremental import
-- beside it) but older in the source never overwrites a newer one. NULL: written before this column
-- existed, or from a cursor that has no numeric order (text); such rows are applied in commit order.
ALTER TABLE profile_attributes ADD COLUMN source_order numeric;
ALTER TABLE segment_memberships ADD COLUMN source_order numeric;
ALTER TABLE group_memberships ADD COLUMN source_order numeric;
-- The kind of the run's cursor column (time, number, other), fixed when the run begins.
ALTER TABLE runs ADD COLUMN cursor_kind text;
