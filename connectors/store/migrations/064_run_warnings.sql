-- What the source told the operator at the start of a run without refusing it (e.g. its role can also
-- write to the tables the import reads): shown with the run.
ALTER TABLE runs ADD COLUMN warnings text[] NOT NULL DEFAULT '{}';
