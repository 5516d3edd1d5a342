-- Version 7: what a workspace was created with (kbcstorage's create arguments) and the public key
-- its user may log in with.
ALTER TABLE workspaces ADD COLUMN login_type TEXT NOT NULL DEFAULT 'default';
ALTER TABLE workspaces ADD COLUMN statement_timeout_seconds INTEGER;
ALTER TABLE workspaces ADD COLUMN read_only_storage_access INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN public_key TEXT;
