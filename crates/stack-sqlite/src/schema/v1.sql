-- Version 1 of the stack's metadata database. Later versions add files beside this one; a
-- database is upgraded in order and its PRAGMA user_version says how far it got.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    backend TEXT NOT NULL,
    features TEXT NOT NULL DEFAULT '[]',
    created INTEGER NOT NULL
);

CREATE TABLE manage_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created INTEGER NOT NULL
);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    hash TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER,
    is_master INTEGER NOT NULL,
    can_manage_buckets INTEGER NOT NULL,
    can_manage_tokens INTEGER NOT NULL,
    can_read_all_file_uploads INTEGER NOT NULL,
    bucket_permissions TEXT NOT NULL,
    component_access TEXT,
    creator_token_id INTEGER,
    creator_description TEXT
);
CREATE INDEX tokens_project ON tokens(project_id);

CREATE TABLE buckets (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    stage TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    backend TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_change INTEGER NOT NULL,
    PRIMARY KEY (project_id, id)
);

CREATE TABLE tables (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    bucket_id TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    physical TEXT NOT NULL,
    columns TEXT NOT NULL,
    primary_key TEXT NOT NULL,
    definition TEXT,
    alias_source TEXT,
    alias_filter TEXT,
    alias_columns TEXT,
    created INTEGER NOT NULL,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, bucket_id) REFERENCES buckets(project_id, id)
);
CREATE INDEX tables_alias_source ON tables(project_id, alias_source);

CREATE TABLE metadata (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    UNIQUE (project_id, object_type, object_id, provider, key)
);

CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    tags TEXT NOT NULL,
    is_permanent INTEGER NOT NULL,
    max_age_days INTEGER,
    created INTEGER NOT NULL,
    expires INTEGER,
    creator_token_id INTEGER,
    creator_description TEXT
);
CREATE INDEX files_project ON files(project_id, id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    token_id INTEGER,
    token_description TEXT,
    params TEXT NOT NULL
);
CREATE INDEX events_object ON events(project_id, object_type, object_id, id);
