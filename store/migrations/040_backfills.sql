-- Backfills (issue 6): a backfill loads a stretch of an import's history as partitions, each a position
-- stream `backfill:<backfill id>:<n>` read by its own child import workflow. The plan is stored once, so a
-- retried or restarted planner, and the API, see the same partitions. A partition covers the rows after
-- (after_cursor, after_key) (exclusive; NULL = from the start) up to (upper_cursor, upper_key) inclusive,
-- where upper_key is the largest key at upper_cursor: the next partition starts exactly there.
CREATE TABLE backfills (
  import_id      text NOT NULL REFERENCES imports(id),
  id             text NOT NULL,
  workflow_id    text NOT NULL,
  range_from     text,                 -- as asked: rows with cursor >= range_from (NULL: where the import stands)
  range_to       text,                 -- as asked: rows with cursor < range_to (NULL: up to the source's bound)
  start_cursor   text, start_key text, -- exclusive start of the first partition
  end_cursor     text, end_key text,   -- inclusive end of the last partition (NULL when there is nothing to load)
  total_rows     bigint NOT NULL,      -- rows in the partitions when planned
  skipped_rows   bigint NOT NULL DEFAULT 0, -- rows before range_from that the incremental import had not loaded: skipped on request
  incremental_moved boolean NOT NULL DEFAULT false, -- the incremental position was moved to end_* (it continues after the backfill)
  status         text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running','succeeded','partially_succeeded','failed','cancelled')),
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  ended_at       timestamptz,
  PRIMARY KEY (import_id, id)
);

CREATE TABLE backfill_partitions (
  import_id     text NOT NULL,
  backfill_id   text NOT NULL,
  n             integer NOT NULL,
  stream        text NOT NULL,
  after_cursor  text, after_key text,
  upper_cursor  text NOT NULL, upper_key text NOT NULL,
  rows          bigint NOT NULL,
  PRIMARY KEY (import_id, backfill_id, n),
  FOREIGN KEY (import_id, backfill_id) REFERENCES backfills(import_id, id) ON DELETE CASCADE
);
CREATE INDEX runs_stream ON runs (import_id, stream);
