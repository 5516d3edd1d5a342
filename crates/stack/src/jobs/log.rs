//! A job's log: events about the job (`objectType` `job`, `objectId` its id), so they are read
//! like every other event, `GET /v2/storage/events?objectType=job&objectId=ID`.

use serde_json::json;

use super::queue::JobRecord;
use crate::error::Result;
use crate::ops::events::{record_at_level, NewEvent};
use crate::Stack;

/// How much a log line matters.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Level {
    Info,
    Warn,
    Error,
}

impl Stack {
    /// Writes one line of `job`'s log. A log that cannot be written does not fail the job: it
    /// is reported in the stack's own log instead.
    pub(crate) fn job_log(
        &self,
        job: &JobRecord,
        level: Level,
        event: &'static str,
        message: impl Into<String>,
        params: serde_json::Value,
    ) {
        let message = message.into();
        let written: Result<()> = self.store.write(|tx| {
            record_at_level(
                tx,
                job.project,
                Some(&job.token),
                match level {
                    Level::Info => "info",
                    Level::Warn => "warn",
                    Level::Error => "error",
                },
                NewEvent {
                    event,
                    message: message.clone(),
                    object_type: "job",
                    object_id: job.id.to_string(),
                    params: json!({
                        "runId": job.run_id,
                        "component": job.component,
                        "config": job.config,
                        "details": params,
                    }),
                },
            )
        });
        if let Err(e) = written {
            tracing::warn!(job = %job.id, error = %e, %message, "writing a job's log failed");
        }
    }
}
