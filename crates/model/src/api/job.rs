use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::token::TokenRef;
use crate::ids::{ComponentId, JobId};
use crate::time::{serde_rfc3339, Timestamp};

/// Where a job is in its life. A job ends in exactly one of the last three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobStatus {
    /// Queued; no runner has taken it yet.
    Waiting,
    /// A runner is running it.
    Processing,
    /// It ran to its end.
    Success,
    /// It failed; `result.message` says why.
    Error,
    /// It was killed, before or while it ran.
    Cancelled,
}

impl JobStatus {
    /// The name the API and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Waiting => "waiting",
            JobStatus::Processing => "processing",
            JobStatus::Success => "success",
            JobStatus::Error => "error",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Parses what [`JobStatus::as_str`] gives.
    pub fn parse(s: &str) -> Option<JobStatus> {
        Some(match s {
            "waiting" => JobStatus::Waiting,
            "processing" => JobStatus::Processing,
            "success" => JobStatus::Success,
            "error" => JobStatus::Error,
            "cancelled" => JobStatus::Cancelled,
            _ => return None,
        })
    }

    /// Whether the job has ended and will not change again.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobStatus::Success | JobStatus::Error | JobStatus::Cancelled
        )
    }
}

/// How a job runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum JobMode {
    /// For real: outputs are written to Storage.
    #[default]
    Run,
    /// SQL transformations only: whole input tables (`changed_since` ignored, so two projects
    /// with the same rows see the same input) go into a workspace, the scripts run, and the
    /// outputs are fingerprinted there instead of written. Storage is not touched.
    DryRun,
}

impl JobMode {
    /// The name the API and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            JobMode::Run => "run",
            JobMode::DryRun => "dryRun",
        }
    }
}

/// `POST /v2/queue/jobs`: what to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewJob {
    /// The component, e.g. `keboola.sqlite-transformation`, or `orchestrator` to run an
    /// orchestration (then `config` is the orchestration's id).
    pub component: ComponentId,
    /// The configuration to run.
    pub config: String,
    /// Only these rows of the configuration; all enabled rows when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_row_ids: Vec<String>,
    /// `run` unless given.
    #[serde(default)]
    pub mode: JobMode,
}

/// A job of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: JobId,
    /// The job's id, or for a job started by another job, the parent's `runId`, a dot and this
    /// job's id, so a whole run can be found by its prefix.
    pub run_id: String,
    pub parent_run_id: Option<String>,
    pub component: ComponentId,
    pub config: String,
    pub config_row_ids: Vec<String>,
    pub mode: JobMode,
    pub status: JobStatus,
    /// `processing`, or `terminating` once a kill was asked for a running job.
    pub desired_status: String,
    pub is_finished: bool,
    #[serde(with = "serde_rfc3339")]
    pub created_time: Timestamp,
    #[serde(with = "serde_rfc3339::option")]
    pub start_time: Option<Timestamp>,
    #[serde(with = "serde_rfc3339::option")]
    pub end_time: Option<Timestamp>,
    /// Whole seconds from start to end (or until now while it runs); null before it starts.
    pub duration_seconds: Option<u64>,
    /// What the job did: `message`, and per kind of job its outputs (`output.tables`) or its
    /// tasks' jobs (`tasks`).
    pub result: serde_json::Value,
    /// The token the job runs with: the one that created it, or the orchestration's owner.
    pub token: TokenRef,
    /// Why it ran: `manual`, `schedule` or `orchestration`.
    pub triggered_by: String,
}
