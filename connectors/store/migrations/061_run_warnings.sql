-- What a run tells its operator without failing a row or the run: a repeated CSV header it renamed.
ALTER TABLE runs ADD COLUMN warnings text[] NOT NULL DEFAULT '{}';
