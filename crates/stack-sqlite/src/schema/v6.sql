-- Version 6: storage jobs, the asynchronous table and bucket operations of the Storage API.
CREATE TABLE storage_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    operation TEXT NOT NULL,
    object_id TEXT NOT NULL,
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    results TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    created INTEGER NOT NULL,
    started INTEGER,
    ended INTEGER,
    token_id INTEGER NOT NULL,
    token_description TEXT NOT NULL
);
CREATE INDEX storage_jobs_queue ON storage_jobs(status, id);
CREATE INDEX storage_jobs_project ON storage_jobs(project_id, id);
