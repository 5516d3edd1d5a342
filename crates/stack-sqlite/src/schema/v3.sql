-- Version 3: the job queue and the scheduler's memory of the slots it has fired.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    parent_run_id TEXT,
    component TEXT NOT NULL,
    config TEXT NOT NULL,
    config_row_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    desired_status TEXT NOT NULL,
    created INTEGER NOT NULL,
    started INTEGER,
    ended INTEGER,
    result TEXT NOT NULL,
    token_id INTEGER NOT NULL,
    token_description TEXT NOT NULL,
    triggered_by TEXT NOT NULL
);
CREATE INDEX jobs_queue ON jobs(status, id);
CREATE INDEX jobs_project ON jobs(project_id, id);

-- The last schedule slot (minute, in microseconds) each orchestration was queued for, written
-- in the same transaction as the job, so a restart never runs a slot twice.
CREATE TABLE schedule_slots (
    orchestration_id INTEGER PRIMARY KEY REFERENCES orchestrations(id) ON DELETE CASCADE,
    last_slot INTEGER NOT NULL
);
