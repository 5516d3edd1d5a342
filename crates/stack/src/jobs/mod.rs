//! Jobs: the stack runs SQL transformations, component programs and orchestrations, queued in
//! the metadata database and taken by a [`JobRunner`]'s threads; active orchestrations with a
//! schedule are queued by the `scheduler` at their minutes.

mod cancel;
pub mod cron;
mod datadir;
mod deadline;
mod log;
mod orchestration;
pub mod outbound;
mod program;
mod queue;
mod runner;
mod scheduler;
mod server_transformation;
mod transformation;
mod workspace;

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

use serde_json::json;
use stackport_model::api::{Job, JobMode, JobStatus, NewJob, Runner};
use stackport_model::{ConfigId, JobId, OrchestrationId};

use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::ops::configs::load_live_config;
use crate::ops::configs::rows::load_rows;
use crate::store::NewJobRecord;
use crate::store::Tx;
use crate::Stack;
pub(crate) use cancel::{Cancel, StopReason};
pub use queue::JobFilter;
use queue::JobRecord;
pub use runner::JobRunner;

/// Under the data dir: what running jobs keep on disk (SQL workspaces, programs' data folders),
/// all of it removed when the jobs end and at every start.
pub(crate) const JOBS_DIR: &str = "jobs";

/// The component id that runs an orchestration (its `config` is the orchestration's id).
pub const ORCHESTRATOR: &str = "orchestrator";

/// What the stack shares with its runner: a wake-up for new jobs and the stop switches of the
/// jobs running now.
#[derive(Default)]
pub(crate) struct JobControl {
    pub(crate) queued: Mutex<u64>,
    pub(crate) wake: Condvar,
    running: Mutex<HashMap<JobId, Arc<Cancel>>>,
    /// Set (under the `running` lock) when the runner stops: a job that registers after that
    /// is stopped at once, and an orchestration stops waiting.
    shutting_down: std::sync::atomic::AtomicBool,
}

impl JobControl {
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub(crate) fn notify(&self) {
        *self.queued.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.wake.notify_all();
    }

    /// How many wake-ups there have been: read before looking for work, then handed to
    /// [`JobControl::wait_for_work`], so one that comes in between is not slept through.
    pub(crate) fn wake_count(&self) -> u64 {
        *self.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps until a wake-up after `seen`, `stopping`, or half a second at most: the bound
    /// means no lost wake-up can leave a waiting job unclaimed for long.
    pub(crate) fn wait_for_work(&self, seen: u64, stopping: &std::sync::atomic::AtomicBool) {
        let guard = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        if *guard == seen && !stopping.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = self
                .wake
                .wait_timeout(guard, std::time::Duration::from_millis(500));
        }
    }
}

impl Stack {
    /// At opening: jobs that were running when the stack last stopped (a crash, a kill) end
    /// as errors, each with a line in its log; waiting jobs stay queued.
    pub(crate) fn recover_jobs(&self) -> Result<()> {
        let interrupted = self.store.write(queue::fail_interrupted)?;
        for job in &interrupted {
            self.job_log(
                job,
                log::Level::Error,
                "job.failed",
                format!(
                    "Job {} was running when the stack stopped; it failed",
                    job.id
                ),
                json!({"status": "error"}),
            );
        }
        // What the interrupted jobs left: SQL workspaces and data folders with opened secrets.
        // Only `jobs/`: provisioned workspaces live in `workspaces/` and are kept.
        let scratch = self.dir.join(JOBS_DIR);
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)?;
        }
        Ok(())
    }

    /// Queues a job of the token's project: a configuration of a component this stack can run,
    /// or an orchestration (`component` `orchestrator`).
    pub fn create_job(&self, auth: &TokenAuth, new: &NewJob) -> Result<Job> {
        let record = self.queue_job(auth, new, None, "manual")?;
        Ok(record.to_api(self.now_micros()))
    }

    /// Checks and queues a job; `parent_run_id` is set for the jobs of an orchestration.
    pub(crate) fn queue_job(
        &self,
        auth: &TokenAuth,
        new: &NewJob,
        parent_run_id: Option<&str>,
        triggered_by: &str,
    ) -> Result<JobRecord> {
        self.check_job_target(auth, new)?;
        let record = self
            .store
            .write(|tx| insert_job(tx, auth, new, parent_run_id, triggered_by))?;
        self.jobs.notify();
        Ok(record)
    }

    /// A job must name something that exists and that this stack can run, before it is queued.
    pub(crate) fn check_job_target(&self, auth: &TokenAuth, new: &NewJob) -> Result<()> {
        if new.component.as_str() == ORCHESTRATOR {
            if new.mode == JobMode::DryRun {
                return Err(Error::invalid(
                    "queue.jobs.dryRunUnsupported",
                    "an orchestration cannot run as a dry run; run its SQL transformations so",
                ));
            }
            let id: OrchestrationId = new.config.parse().map_err(|_| {
                Error::invalid(
                    "queue.jobs.invalidConfig",
                    format!(
                        "config '{}' of an orchestrator job must be an orchestration id",
                        new.config
                    ),
                )
            })?;
            self.get_orchestration(auth, id)?;
            if !new.config_row_ids.is_empty() {
                return Err(Error::invalid(
                    "queue.jobs.invalidRows",
                    "an orchestration has no rows; leave configRowIds out",
                ));
            }
            return Ok(());
        }
        auth.require_component(&new.component)?;
        let component = self.registry.require(&new.component)?;
        if new.mode == JobMode::DryRun && !component.runner.as_ref().is_some_and(Runner::is_sql) {
            return Err(Error::invalid(
                "queue.jobs.dryRunUnsupported",
                format!(
                    "component {} cannot run as a dry run: only SQL transformations can, because \
                     only their outputs can be kept from Storage",
                    new.component
                ),
            ));
        }
        if component.runner.is_none() {
            return Err(Error::invalid(
                "queue.jobs.cannotRun",
                format!(
                    "component {} cannot run on this stack: its registry entry names no runner",
                    new.component
                ),
            ));
        }
        let config_id: ConfigId = new
            .config
            .parse()
            .map_err(|e| Error::invalid("queue.jobs.invalidConfig", format!("config: {e}")))?;
        let (config, rows) = self.store.read(|c| {
            let config = load_live_config(c, auth.project(), &new.component, &config_id)?;
            let rows = load_rows(c, auth.project(), &config)?;
            Ok((config, rows))
        })?;
        if config.is_disabled {
            return Err(Error::conflict(
                "queue.jobs.configDisabled",
                format!(
                    "configuration {config_id} of {} is disabled; enable it (isDisabled: false) \
                     to run it",
                    new.component
                ),
            ));
        }
        for row in &new.config_row_ids {
            if !rows.iter().any(|r| r.id.as_str() == row) {
                return Err(Error::not_found(
                    "queue.jobs.rowNotFound",
                    format!(
                        "configuration {config_id} of {} has no row '{row}'",
                        new.component
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One job of the token's project.
    pub fn get_job(&self, auth: &TokenAuth, id: JobId) -> Result<Job> {
        let job = self.store.read(|c| queue::load(c, auth.project(), id))?;
        if !may_see(auth, &job) {
            return Err(queue::job_not_found(id));
        }
        Ok(job.to_api(self.now_micros()))
    }

    /// Jobs of the token's project, newest first.
    pub fn list_jobs(&self, auth: &TokenAuth, filter: &JobFilter) -> Result<Vec<Job>> {
        let now = self.now_micros();
        let only = (!auth.all_buckets()).then(|| auth.token_id());
        let jobs = self
            .store
            .read(|c| queue::list(c, auth.project(), filter, only))?;
        Ok(jobs.iter().map(|j| j.to_api(now)).collect())
    }

    /// Kills a job: a waiting one is cancelled at once, a running one is stopped (its SQL
    /// statement interrupted, its program killed) and ends as `cancelled`.
    pub fn kill_job(&self, auth: &TokenAuth, id: JobId) -> Result<Job> {
        let now = self.now_micros();
        let job = self.store.write(|tx| {
            let job = queue::load(tx, auth.project(), id)?;
            if !may_see(auth, &job) {
                return Err(queue::job_not_found(id));
            }
            match job.status {
                JobStatus::Waiting => {
                    let result = json!({"message": "killed before it started"});
                    tx.jobs().cancel_waiting_job(id, &result, now)?;
                }
                JobStatus::Processing => {
                    tx.jobs().request_stop(id)?;
                }
                finished => {
                    return Err(Error::conflict(
                        "queue.jobs.finished",
                        format!("job {id} has already ended ({})", finished.as_str()),
                    ))
                }
            }
            queue::load(tx, auth.project(), id)
        })?;
        if let Some(cancel) = self
            .jobs
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            cancel.stop(StopReason::Killed);
        }
        self.job_log(
            &job,
            log::Level::Warn,
            "job.killed",
            format!("Job {id} was asked to stop"),
            json!({}),
        );
        Ok(job.to_api(now))
    }
}

/// Queues a checked job inside `tx`, with the event that says so.
pub(crate) fn insert_job(
    tx: &mut Tx<'_>,
    auth: &TokenAuth,
    new: &NewJob,
    parent_run_id: Option<&str>,
    triggered_by: &str,
) -> Result<JobRecord> {
    let token = auth.token_ref();
    let created_micros = tx.now_micros();
    let record = queue::insert(
        tx,
        &NewJobRecord {
            project: auth.project(),
            parent_run_id,
            component: &new.component,
            config: &new.config,
            config_row_ids: &new.config_row_ids,
            mode: new.mode,
            token: &token,
            triggered_by,
            created_micros,
        },
    )?;
    crate::ops::events::record(
        tx,
        auth.project(),
        Some(&token),
        crate::ops::events::NewEvent {
            event: "job.created",
            message: format!(
                "Job {} of {} configuration {} was queued",
                record.id, new.component, new.config
            ),
            object_type: "job",
            object_id: record.id.to_string(),
            params: json!({"runId": record.run_id, "triggeredBy": triggered_by}),
        },
    )?;
    Ok(record)
}

/// A token sees the jobs it started; one that reaches every bucket sees all of its project's.
fn may_see(auth: &TokenAuth, job: &JobRecord) -> bool {
    auth.all_buckets() || job.token.id == auth.token_id()
}
