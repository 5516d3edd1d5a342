-- Version 5: a file prepared for an upload through the blob endpoint has a record (and its id)
-- before its bytes arrive; it is not a file anyone lists or reads until they have.
ALTER TABLE files ADD COLUMN prepared INTEGER NOT NULL DEFAULT 0;
