-- What a run tells its operator without failing a row or the run: what the source said at the start
-- (its role can also write to the tables the import reads), a repeated CSV header it renamed.
ALTER TABLE runs ADD COLUMN warnings text[] NOT NULL DEFAULT '{}';
