-- Version 5: triggers. A trigger runs a configuration once every table it watches has been
-- imported into since its last run; `changed` is that mark, per watched table. A deleted table
-- leaves every trigger that watched it (ON DELETE CASCADE on the catalog row).
CREATE TABLE triggers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    component_id TEXT NOT NULL,
    config_id TEXT NOT NULL,
    run_with_token_id INTEGER NOT NULL,
    creator_token_id INTEGER NOT NULL,
    creator_token_description TEXT NOT NULL,
    cool_down_minutes INTEGER NOT NULL,
    last_run INTEGER,
    active INTEGER NOT NULL
);
CREATE INDEX triggers_project ON triggers(project_id);

CREATE TABLE trigger_tables (
    trigger_id INTEGER NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL,
    table_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    PRIMARY KEY (trigger_id, table_id),
    FOREIGN KEY (project_id, table_id) REFERENCES tables(project_id, id) ON DELETE CASCADE
);
CREATE INDEX trigger_tables_table ON trigger_tables(project_id, table_id);
