-- Drop folders: every file an import has taken, by identity (a hash of path, size and checksum or ETag),
-- so a file dropped again unchanged is skipped and a changed one is imported. Each file is read as its own
-- position stream, `file:<identity>` (exactly once within the file, resumable mid-file).
CREATE TABLE imported_files (
  import_id    text NOT NULL,
  identity     text NOT NULL,
  path         text NOT NULL,
  -- `<size>|<version>` the run pinned the file at (version: ETag or modification time).
  pinned       text,
  run_id       bigint NOT NULL,
  status       text NOT NULL,
  rows_read    bigint NOT NULL,
  imported_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (import_id, identity)
);

-- A file's run ending is what records the file: the row is written by the same statement (so in the same
-- transaction) that closes the run, whoever closes it. A cancelled run records nothing: the file is taken
-- up again by the next pass and resumes from its stream's position.
CREATE FUNCTION record_imported_file() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO imported_files (import_id, identity, path, pinned, run_id, status, rows_read)
  VALUES (NEW.import_id, substr(NEW.stream, 6), COALESCE(NEW.spec #>> '{source,file,path}', ''), NEW.upper_bound,
          NEW.id, NEW.status, NEW.rows_read)
  ON CONFLICT (import_id, identity) DO UPDATE
    SET run_id = EXCLUDED.run_id, status = EXCLUDED.status, rows_read = EXCLUDED.rows_read, imported_at = now();
  RETURN NEW;
END $$;

CREATE TRIGGER runs_record_imported_file AFTER UPDATE OF status ON runs
  FOR EACH ROW
  WHEN (OLD.status = 'running' AND NEW.status IN ('succeeded', 'partially_succeeded', 'failed') AND NEW.stream LIKE 'file:%')
  EXECUTE FUNCTION record_imported_file();
