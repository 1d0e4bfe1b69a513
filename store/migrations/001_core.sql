-- Imports, their committed positions, runs and row errors (brief §4, §5).
CREATE TABLE imports (
  id          text PRIMARY KEY,
  data_type   text NOT NULL,
  spec        jsonb NOT NULL,            -- never holds a secret: sources name a connection
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

-- The loaded position: (cursor, key) of the last row loaded. Updated in the same transaction as the
-- rows it covers, under SELECT ... FOR UPDATE, so there is one writer per import.
CREATE TABLE positions (
  import_id     text PRIMARY KEY REFERENCES imports(id),
  cursor_value  text,
  key_value     text,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
  id               bigserial PRIMARY KEY,
  import_id        text NOT NULL REFERENCES imports(id),
  workflow_id      text NOT NULL,
  workflow_run_id  text NOT NULL UNIQUE,   -- the first execution of the workflow chain
  spec             jsonb NOT NULL,          -- the spec this run ran with
  status           text NOT NULL DEFAULT 'running'
                   CHECK (status IN ('running','succeeded','partially_succeeded','failed','cancelled')),
  source_kind      text,
  upper_bound      text,
  from_cursor      text, from_key text,
  to_cursor        text, to_key text,
  rows_read        bigint NOT NULL DEFAULT 0,
  created          bigint NOT NULL DEFAULT 0,
  updated          bigint NOT NULL DEFAULT 0,
  unchanged        bigint NOT NULL DEFAULT 0,
  duplicates       bigint NOT NULL DEFAULT 0,
  rejected         bigint NOT NULL DEFAULT 0,
  skipped          bigint NOT NULL DEFAULT 0,
  removed          bigint NOT NULL DEFAULT 0,
  profiles_created bigint NOT NULL DEFAULT 0,
  null_cursor      bigint NOT NULL DEFAULT 0,
  batches          integer NOT NULL DEFAULT 0,
  error            text,
  started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  ended_at         timestamptz
);
CREATE INDEX runs_import ON runs (import_id, id DESC);

CREATE TABLE row_errors (
  id           bigserial PRIMARY KEY,
  run_id       bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  import_id    text NOT NULL,
  source_key   text,
  cursor_value text,
  column_name  text,
  value        text,
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX row_errors_run ON row_errors (run_id, id);
