-- Version 4: a job's mode (run, or dryRun: an SQL transformation that writes nothing to Storage).
ALTER TABLE jobs ADD COLUMN mode TEXT NOT NULL DEFAULT 'run';
