-- Version 2: component configurations with rows and versions, OAuth credentials, orchestrations,
-- project users and provisioned resources.
CREATE TABLE configs (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    component_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    configuration TEXT NOT NULL,
    state TEXT NOT NULL,
    is_disabled INTEGER NOT NULL,
    is_deleted INTEGER NOT NULL,
    rows_sort_order TEXT NOT NULL,
    created INTEGER NOT NULL,
    creator_token_id INTEGER NOT NULL,
    creator_description TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (project_id, component_id, id)
);

CREATE TABLE config_rows (
    project_id INTEGER NOT NULL,
    component_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    configuration TEXT NOT NULL,
    state TEXT NOT NULL,
    is_disabled INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created INTEGER NOT NULL,
    creator_token_id INTEGER NOT NULL,
    creator_description TEXT NOT NULL,
    change_description TEXT NOT NULL,
    PRIMARY KEY (project_id, component_id, config_id, id),
    FOREIGN KEY (project_id, component_id, config_id)
        REFERENCES configs(project_id, component_id, id) ON DELETE CASCADE
);

-- Each version holds the whole configuration with its rows as it was, so a rollback needs
-- nothing else.
CREATE TABLE config_versions (
    project_id INTEGER NOT NULL,
    component_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    identifier TEXT NOT NULL,
    created INTEGER NOT NULL,
    token_id INTEGER NOT NULL,
    token_description TEXT NOT NULL,
    change_description TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (project_id, component_id, config_id, version),
    FOREIGN KEY (project_id, component_id, config_id)
        REFERENCES configs(project_id, component_id, id) ON DELETE CASCADE
);

CREATE TABLE oauth_credentials (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    component_id TEXT NOT NULL,
    id TEXT NOT NULL,
    authorized_for TEXT NOT NULL,
    sealed_data TEXT NOT NULL,
    app_key TEXT NOT NULL,
    oauth_version TEXT NOT NULL,
    created INTEGER NOT NULL,
    creator_token_id INTEGER NOT NULL,
    creator_description TEXT NOT NULL,
    PRIMARY KEY (project_id, component_id, id)
);

CREATE TABLE orchestrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    crontab_record TEXT,
    timezone TEXT NOT NULL,
    active INTEGER NOT NULL,
    notifications TEXT NOT NULL,
    tasks TEXT NOT NULL,
    created INTEGER NOT NULL,
    token_id INTEGER NOT NULL,
    token_description TEXT NOT NULL
);
CREATE INDEX orchestrations_project ON orchestrations(project_id, id);

CREATE TABLE project_users (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (project_id, email)
);

CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    component_id TEXT,
    config_id TEXT,
    backend TEXT NOT NULL,
    host TEXT NOT NULL,
    database_name TEXT NOT NULL,
    schema_name TEXT NOT NULL,
    user_name TEXT NOT NULL,
    sealed_password TEXT NOT NULL,
    created INTEGER NOT NULL,
    creator_token_id INTEGER NOT NULL,
    creator_description TEXT NOT NULL
);

CREATE TABLE bi_projects (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    account TEXT NOT NULL,
    component_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    login TEXT NOT NULL,
    sealed_password TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (project_id, id)
);
