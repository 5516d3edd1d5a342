//! The job queue: waiting, claimed, running and ended jobs. Every change of a job's status is
//! one write transaction, so a queued job survives a restart and a running one is never lost.

use stackport_model::api::{JobMode, JobStatus, TokenRef};
use stackport_model::{ComponentId, JobId, ProjectId, TokenId};

use crate::error::Result;

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: JobId,
    pub project: ProjectId,
    /// Empty until [`JobQueue::set_run_id`] names it (in the transaction that inserted it).
    pub run_id: String,
    pub parent_run_id: Option<String>,
    pub component: ComponentId,
    pub config: String,
    pub config_row_ids: Vec<String>,
    pub mode: JobMode,
    pub status: JobStatus,
    /// `processing`, or `terminating` once a kill asked the job to stop.
    pub desired_status: String,
    pub created: i64,
    pub started: Option<i64>,
    pub ended: Option<i64>,
    pub result: serde_json::Value,
    pub token: TokenRef,
    pub triggered_by: String,
}

/// A job to queue; the store mints its id and stores it `waiting`, with an empty result.
#[derive(Debug, Clone)]
pub struct NewJobRecord<'a> {
    pub project: ProjectId,
    pub parent_run_id: Option<&'a str>,
    pub component: &'a ComponentId,
    pub config: &'a str,
    pub config_row_ids: &'a [String],
    pub mode: JobMode,
    pub token: &'a TokenRef,
    pub triggered_by: &'a str,
    pub created_micros: i64,
}

/// Which of a project's jobs to scan; every field given must match.
#[derive(Debug, Clone, Default)]
pub struct JobScan<'a> {
    pub component: Option<&'a str>,
    pub config: Option<&'a str>,
    pub status: Option<JobStatus>,
    /// The run itself and every run under it: `run_id` equal to this, or starting with it
    /// and a dot (compared as text: no character is a wildcard).
    pub run: Option<&'a str>,
    /// Only the jobs this token started.
    pub token: Option<TokenId>,
}

/// How the next job is chosen by [`JobQueue::claim_job`].
#[derive(Debug, Clone)]
pub struct Claim<'a> {
    /// Stored as the job's start.
    pub started_micros: i64,
    /// A waiting job is taken only while its project has fewer jobs processing than this.
    pub per_project: usize,
    /// Jobs of this component neither count towards the cap nor wait for it.
    pub uncapped_component: &'a str,
}

/// The job queue.
pub trait JobQueue {
    /// Queues a job; returns the id the store minted, greater than every id before it.
    fn insert_job(&mut self, new: &NewJobRecord<'_>) -> Result<JobId>;
    /// Names the run of a job just inserted (it derives from the minted id).
    fn set_run_id(&mut self, id: JobId, run_id: &str) -> Result<()>;
    /// A job of any project.
    fn get_job(&mut self, id: JobId) -> Result<Option<JobRecord>>;
    /// Hands `project`'s jobs matching `scan` to `visit`, newest first, until it returns false.
    fn scan_jobs(
        &mut self,
        project: ProjectId,
        scan: &JobScan<'_>,
        visit: &mut dyn FnMut(JobRecord) -> bool,
    ) -> Result<()>;
    /// Every job processing now, of every project, oldest first.
    fn processing_jobs(&mut self) -> Result<Vec<JobRecord>>;
    /// Takes the oldest waiting job that `claim` allows and marks it processing, in one step:
    /// two writers never take the same job, and the cap holds whatever writers race.
    fn claim_job(&mut self, claim: &Claim<'_>) -> Result<Option<JobRecord>>;
    /// Puts a processing job back to waiting, without a start. False if it was not processing.
    fn requeue_job(&mut self, id: JobId) -> Result<bool>;
    /// Ends a processing job with `status` and `result`. False if it was not processing (it
    /// ended already), and then nothing changes.
    fn finish_job(
        &mut self,
        id: JobId,
        status: JobStatus,
        result: &serde_json::Value,
        ended_micros: i64,
    ) -> Result<bool>;
    /// Cancels a waiting job: `cancelled`, desired `terminating`, with `result`. False if it
    /// was not waiting.
    fn cancel_waiting_job(
        &mut self,
        id: JobId,
        result: &serde_json::Value,
        ended_micros: i64,
    ) -> Result<bool>;
    /// Cancels the waiting jobs whose parent run is `parent_run_id`; returns how many.
    fn cancel_waiting_children(
        &mut self,
        parent_run_id: &str,
        result: &serde_json::Value,
        ended_micros: i64,
    ) -> Result<usize>;
    /// Marks a job's desired status `terminating`: its runner is asked to stop it.
    fn request_stop(&mut self, id: JobId) -> Result<bool>;
}
