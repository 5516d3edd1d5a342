//! The job queue's rules over [`JobQueue`]: how a run is named, what a listing may hold, how a
//! job is claimed and how the jobs a stop interrupted end.

use stackport_model::api::{Job, JobStatus};
use stackport_model::{JobId, ProjectId, TokenId};

use crate::error::{Error, Result};
pub(crate) use crate::store::JobRecord;
use crate::store::{Claim, JobScan, NewJobRecord, Tx};

impl JobRecord {
    /// The configuration the job runs, as an id (checked when the job was queued).
    pub(crate) fn config_id(&self) -> Result<stackport_model::ConfigId, super::runner::Failure> {
        self.config
            .parse()
            .map_err(|e| super::runner::Failure::failed(format!("config: {e}")))
    }

    /// The API's view; `now` gives the running duration of a job that has not ended.
    pub(crate) fn to_api(&self, now: i64) -> Job {
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

/// A run's id: the job's own id, after its parent's run id when it has one.
pub(crate) fn run_id_of(id: JobId, parent_run_id: Option<&str>) -> String {
    match parent_run_id {
        Some(parent) => format!("{parent}.{id}"),
        None => id.to_string(),
    }
}

/// Queues a job at the transaction's time.
pub(crate) fn insert(tx: &mut Tx<'_>, new: &NewJobRecord<'_>) -> Result<JobRecord> {
    let id = tx.jobs().insert_job(new)?;
    tx.jobs()
        .set_run_id(id, &run_id_of(id, new.parent_run_id))?;
    load_any(tx, id)?.ok_or_else(|| job_not_found(id))
}

/// A job of any project (for the runner).
pub(crate) fn load_any(tx: &mut Tx<'_>, id: JobId) -> Result<Option<JobRecord>> {
    tx.jobs().get_job(id)
}

/// A job of `project`.
pub(crate) fn load(tx: &mut Tx<'_>, project: ProjectId, id: JobId) -> Result<JobRecord> {
    load_any(tx, id)?
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

/// The page size a filter asks for, checked.
fn limit_of(filter: &JobFilter) -> Result<usize> {
    let limit = filter.limit.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(Error::invalid(
            "queue.jobs.invalidLimit",
            "limit must be from 1 to 1000",
        ));
    }
    Ok(limit as usize)
}

/// Jobs of `project`, newest first; with `only_token`, only that token's (filtered before the
/// limit, so a page is never emptied afterwards).
pub(crate) fn list(
    tx: &mut Tx<'_>,
    project: ProjectId,
    filter: &JobFilter,
    only_token: Option<TokenId>,
) -> Result<Vec<JobRecord>> {
    let limit = limit_of(filter)?;
    let scan = JobScan {
        component: filter.component.as_deref(),
        config: filter.config.as_deref(),
        status: filter.status,
        run: filter.run_id.as_deref(),
        token: only_token,
    };
    let mut out = Vec::new();
    tx.jobs().scan_jobs(project, &scan, &mut |job| {
        out.push(job);
        out.len() < limit
    })?;
    Ok(out)
}

/// Takes the oldest waiting job whose project runs fewer than `per_project` jobs, marking it
/// processing, so one project's jobs cannot hold every worker while others wait. Orchestrations
/// neither count nor wait: each runs on a thread of its own and mostly waits for its tasks, which
/// are jobs of the same project; counting it would keep those tasks from ever starting.
pub(crate) fn claim(tx: &mut Tx<'_>, per_project: usize) -> Result<Option<JobRecord>> {
    let started_micros = tx.now_micros();
    tx.jobs().claim_job(&Claim {
        started_micros,
        per_project,
        uncapped_component: super::ORCHESTRATOR,
    })
}

/// Puts a job taken but not started back into the queue.
pub(crate) fn requeue(tx: &mut Tx<'_>, id: JobId) -> Result<()> {
    tx.jobs().requeue_job(id)?;
    Ok(())
}

/// Ends a job that is processing, at the transaction's time.
pub(crate) fn finish(
    tx: &mut Tx<'_>,
    id: JobId,
    status: JobStatus,
    result: &serde_json::Value,
) -> Result<()> {
    let now = tx.now_micros();
    tx.jobs().finish_job(id, status, result, now)?;
    Ok(())
}

/// After a crash or a stop: jobs that were running when the stack went down end as errors. A
/// job that was waiting stays queued, unless an orchestration that ended had queued it.
pub(crate) fn fail_interrupted(tx: &mut Tx<'_>) -> Result<Vec<JobRecord>> {
    let now = tx.now_micros();
    let running = tx.jobs().processing_jobs()?;
    let failed = serde_json::json!({
        "message": "the stack stopped while this job ran; run it again"
    });
    let orphaned = serde_json::json!({
        "message": "not run: the orchestration that queued it stopped with the stack"
    });
    for job in &running {
        tx.jobs()
            .finish_job(job.id, JobStatus::Error, &failed, now)?;
        // The queued tasks of an orchestration that ended must not run on their own.
        tx.jobs()
            .cancel_waiting_children(&job.run_id, &orphaned, now)?;
    }
    Ok(running)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_id_is_the_job_id_under_its_parents_run() {
        assert_eq!(run_id_of(JobId(7), None), "7");
        assert_eq!(run_id_of(JobId(9), Some("7")), "7.9");
        assert_eq!(run_id_of(JobId(12), Some("7.9")), "7.9.12");
    }

    #[test]
    fn a_listing_holds_1_to_1000_jobs() {
        let with = |limit| JobFilter {
            limit,
            ..Default::default()
        };
        assert_eq!(limit_of(&with(None)).unwrap(), 100);
        assert_eq!(limit_of(&with(Some(1))).unwrap(), 1);
        assert_eq!(limit_of(&with(Some(1000))).unwrap(), 1000);
        for bad in [0, 1001] {
            let e = limit_of(&with(Some(bad))).unwrap_err();
            assert_eq!(e.code(), "queue.jobs.invalidLimit", "limit {bad}");
        }
    }
}
