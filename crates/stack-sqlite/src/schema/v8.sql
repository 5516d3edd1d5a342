-- Version 8: a file prepared for an upload through the blob endpoint has a record (and its id)
-- before its bytes arrive; it is not a file anyone lists or reads until they have.
ALTER TABLE files ADD COLUMN prepared INTEGER NOT NULL DEFAULT 0;
-- A sliced file's parts, in the order of its manifest: a JSON array of {"name", "sizeBytes"} (the
-- part's blob name after the file's, and its size); its bytes are the parts', one after another.
-- NULL for a file that is not sliced.
ALTER TABLE files ADD COLUMN slices TEXT;
