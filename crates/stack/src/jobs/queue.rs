//! The job queue in the metadata database: jobs are rows, and every change of a job's status is
//! one transaction, so a queued job survives a restart and a running one is never lost.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{Job, JobMode, JobStatus, TokenRef};
use stackport_model::{ComponentId, JobId, ProjectId, TokenId};

use crate::error::{Error, Result};
use crate::store::sqlrow::{from_json, parse_column, to_json};
use crate::store::Tx;

/// A job as stored.
#[derive(Debug, Clone)]
pub(crate) struct JobRecord {
    pub id: JobId,
    pub project: ProjectId,
    pub run_id: String,
    pub parent_run_id: Option<String>,
    pub component: ComponentId,
    pub config: String,
    pub config_row_ids: Vec<String>,
    pub mode: JobMode,
    pub status: JobStatus,
    pub desired_status: String,
    pub created: i64,
    pub started: Option<i64>,
    pub ended: Option<i64>,
    pub result: serde_json::Value,
    pub token: TokenRef,
    pub triggered_by: String,
}

/// What a new job is.
pub(crate) struct JobDraft<'a> {
    pub project: ProjectId,
    pub parent_run_id: Option<&'a str>,
    pub component: &'a ComponentId,
    pub config: &'a str,
    pub config_row_ids: &'a [String],
    pub mode: JobMode,
    pub token: &'a TokenRef,
    pub triggered_by: &'a str,
    pub now: i64,
}

const COLUMNS: &str = "id, project_id, run_id, parent_run_id, component, config, config_row_ids, \
    status, desired_status, created, started, ended, result, token_id, token_description, triggered_by, mode";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    let status: String = r.get(7)?;
    Ok(JobRecord {
        id: JobId(r.get(0)?),
        project: ProjectId(r.get(1)?),
        run_id: r.get(2)?,
        parent_run_id: r.get(3)?,
        component: parse_column(r, 4)?,
        config: r.get(5)?,
        config_row_ids: from_json(&r.get::<_, String>(6)?)?,
        status: JobStatus::parse(&status).unwrap_or(JobStatus::Error),
        desired_status: r.get(8)?,
        created: r.get(9)?,
        started: r.get(10)?,
        ended: r.get(11)?,
        result: from_json(&r.get::<_, String>(12)?)?,
        token: TokenRef {
            id: TokenId(r.get(13)?),
            description: r.get(14)?,
        },
        triggered_by: r.get(15)?,
        mode: match r.get::<_, String>(16)?.as_str() {
            "dryRun" => JobMode::DryRun,
            _ => JobMode::Run,
        },
    })
}

impl JobRecord {
    /// The configuration the job runs, as an id (checked when the job was queued).
    pub fn config_id(&self) -> Result<stackport_model::ConfigId, super::runner::Failure> {
        self.config
            .parse()
            .map_err(|e| super::runner::Failure::failed(format!("config: {e}")))
    }

    /// The API's view; `now` gives the running duration of a job that has not ended.
    pub fn to_api(&self, now: i64) -> Job {
        let duration = self
            .started
            .map(|s| ((self.ended.unwrap_or(now) - s).max(0) / 1_000_000) as u64);
        Job {
            id: self.id,
            run_id: self.run_id.clone(),
            parent_run_id: self.parent_run_id.clone(),
            component: self.component.clone(),
            config: self.config.clone(),
            config_row_ids: self.config_row_ids.clone(),
            mode: self.mode,
            status: self.status,
            desired_status: self.desired_status.clone(),
            is_finished: self.status.is_finished(),
            created_time: crate::ops::time(self.created),
            start_time: self.started.map(crate::ops::time),
            end_time: self.ended.map(crate::ops::time),
            duration_seconds: duration,
            result: self.result.clone(),
            token: self.token.clone(),
            triggered_by: self.triggered_by.clone(),
        }
    }
}

pub(crate) fn job_not_found(id: JobId) -> Error {
    Error::not_found(
        "queue.jobs.notFound",
        format!("job {id} not found in this project"),
    )
}

/// Queues a job; its run id is its own id, after its parent's when it has one.
pub(crate) fn insert(c: &mut Tx<'_>, draft: &JobDraft<'_>) -> Result<JobRecord> {
    c.sql().execute(
        "INSERT INTO jobs (project_id, run_id, parent_run_id, component, config, config_row_ids,
         status, desired_status, created, result, token_id, token_description, triggered_by, mode)
         VALUES (?1, '', ?2, ?3, ?4, ?5, 'waiting', 'processing', ?6, '{}', ?7, ?8, ?9, ?10)",
        params![
            draft.project.0,
            draft.parent_run_id,
            draft.component.as_str(),
            draft.config,
            to_json(&draft.config_row_ids),
            draft.now,
            draft.token.id.0,
            draft.token.description,
            draft.triggered_by,
            draft.mode.as_str(),
        ],
    )?;
    let id = JobId(c.sql().last_insert_rowid() as u64);
    let run_id = match draft.parent_run_id {
        Some(parent) => format!("{parent}.{id}"),
        None => id.to_string(),
    };
    c.sql().execute(
        "UPDATE jobs SET run_id = ?2 WHERE id = ?1",
        params![id.0, run_id],
    )?;
    load_any(c, id)?.ok_or_else(|| job_not_found(id))
}

/// A job of any project (for the runner).
pub(crate) fn load_any(c: &mut Tx<'_>, id: JobId) -> Result<Option<JobRecord>> {
    Ok(c.sql()
        .query_row(
            &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
            [id.0],
            from_row,
        )
        .optional()?)
}

/// A job of `project`.
pub(crate) fn load(c: &mut Tx<'_>, project: ProjectId, id: JobId) -> Result<JobRecord> {
    load_any(c, id)?
        .filter(|j| j.project == project)
        .ok_or_else(|| job_not_found(id))
}

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only jobs of this component.
    pub component: Option<String>,
    /// Only jobs of this configuration.
    pub config: Option<String>,
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// Only the jobs of this run: the job itself and every job it started, at any depth.
    pub run_id: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Jobs of `project`, newest first; with `only_token`, only that token's (filtered before the
/// limit, so a page is never emptied afterwards).
pub(crate) fn list(
    c: &mut Tx<'_>,
    project: ProjectId,
    filter: &JobFilter,
    only_token: Option<TokenId>,
) -> Result<Vec<JobRecord>> {
    let limit = filter.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(Error::invalid(
            "queue.jobs.invalidLimit",
            "limit must be from 1 to 1000",
        ));
    }
    // A run's jobs: the run id itself, or it and a dot at the start (compared as text, so
    // '%' or '_' in the filter match only themselves).
    let run_prefix = filter.run_id.as_ref().map(|r| format!("{r}."));
    let mut stmt = c.sql().prepare(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE project_id = ?1 AND (?2 IS NULL OR component = ?2)
         AND (?3 IS NULL OR config = ?3) AND (?4 IS NULL OR status = ?4)
         AND (?5 IS NULL OR run_id = ?5 OR substr(run_id, 1, length(?6)) = ?6)
         AND (?8 IS NULL OR token_id = ?8) ORDER BY id DESC LIMIT ?7"
    ))?;
    let rows = stmt.query_map(
        params![
            project.0,
            filter.component,
            filter.config,
            filter.status.map(|s| s.as_str()),
            filter.run_id,
            run_prefix,
            limit,
            only_token.map(|t| t.0),
        ],
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Takes the oldest waiting job whose project runs fewer than `per_project` jobs, marking it
/// processing, so one project's jobs cannot hold every worker while others wait. Orchestrations
/// neither count nor wait: each runs on a thread of its own and mostly waits for its tasks, which
/// are jobs of the same project; counting it would keep those tasks from ever starting.
pub(crate) fn claim(c: &mut Tx<'_>, now: i64, per_project: usize) -> Result<Option<JobRecord>> {
    let id: Option<u64> = c
        .sql()
        .query_row(
            "UPDATE jobs SET status = 'processing', started = ?1
             WHERE id = (
                SELECT w.id FROM jobs w WHERE w.status = 'waiting'
                AND (w.component = ?3 OR (
                    SELECT count(*) FROM jobs r WHERE r.status = 'processing'
                    AND r.project_id = w.project_id AND r.component != ?3) < ?2)
                ORDER BY w.id LIMIT 1)
             RETURNING id",
            params![now, per_project as i64, super::ORCHESTRATOR],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => load_any(c, JobId(id)),
        None => Ok(None),
    }
}

/// Puts a job taken but not started back into the queue.
pub(crate) fn requeue(c: &mut Tx<'_>, id: JobId) -> Result<()> {
    c.sql().execute(
        "UPDATE jobs SET status = 'waiting', started = NULL WHERE id = ?1 AND status = 'processing'",
        [id.0],
    )?;
    Ok(())
}

/// Ends a job that is processing.
pub(crate) fn finish(
    c: &mut Tx<'_>,
    id: JobId,
    status: JobStatus,
    result: &serde_json::Value,
    now: i64,
) -> Result<()> {
    c.sql().execute(
        "UPDATE jobs SET status = ?2, ended = ?3, result = ?4 WHERE id = ?1 AND status = 'processing'",
        params![id.0, status.as_str(), now, to_json(result)],
    )?;
    Ok(())
}

/// After a crash or a stop: jobs that were running when the stack went down end as errors. A
/// job that was waiting stays queued.
pub(crate) fn fail_interrupted(c: &mut Tx<'_>, now: i64) -> Result<Vec<JobRecord>> {
    let mut stmt = c.sql().prepare(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE status = 'processing' ORDER BY id"
    ))?;
    let running = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(stmt);
    for job in &running {
        let result = serde_json::json!({
            "message": "the stack stopped while this job ran; run it again"
        });
        finish(c, job.id, JobStatus::Error, &result, now)?;
        // The queued tasks of an orchestration that ended must not run on their own.
        c.sql().execute(
            "UPDATE jobs SET status = 'cancelled', ended = ?2, result = ?3
             WHERE status = 'waiting' AND parent_run_id = ?1",
            params![
                job.run_id,
                now,
                to_json(&serde_json::json!({
                    "message": "not run: the orchestration that queued it stopped with the stack"
                }))
            ],
        )?;
    }
    Ok(running)
}
