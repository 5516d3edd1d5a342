-- Version 9: which of the stack's servers of its backend holds a project's tables (the id of a
-- PostgreSQL server in stack.json); NULL for the embedded backend. Set once, at creation.
ALTER TABLE projects ADD COLUMN placement TEXT;
