-- Position streams: an import can hold several committed positions, one per stream. The incremental
-- import is stream ''; a backfill partition or one file of a drop folder reads and commits its own stream,
-- so each is exactly once on its own without moving the incremental position. A run belongs to a stream.
ALTER TABLE positions ADD COLUMN stream text NOT NULL DEFAULT '';
ALTER TABLE positions DROP CONSTRAINT positions_pkey;
ALTER TABLE positions ADD PRIMARY KEY (import_id, stream);
ALTER TABLE runs ADD COLUMN stream text NOT NULL DEFAULT '';
