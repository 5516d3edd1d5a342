//! The storage job workers. A project's storage jobs run one at a time, in the order they were
//! accepted (the claim in the store guarantees it), so an import never races the export or the
//! delete queued after it. Projects do not wait for each other: the workers are as many as the
//! queue's (`jobs.workers`, at least two), and a project holds at most one of them, so one
//! project's long import leaves the others' jobs a worker to run on.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{json, Value};
use stackport_model::api::query::{BucketDeleteQuery, ExportQuery, ImportQuery};
use stackport_model::api::WorkspaceLoadRequest;
use stackport_model::api::{StorageJobError, StorageJobStatus, StorageOperation};
use stackport_model::{BucketId, TableId, WorkspaceId};

use super::parse_params;
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::ops::events::{record_at_level, NewEvent};
use crate::ops::provisioning::LoadKind;
use crate::store::{StorageJobEnd, StorageJobRecord};
use crate::Stack;

/// A worker: takes jobs until `stopping`. A job it took runs to its end even when the stack
/// stops (table operations are not interruptible); the stop waits for it.
pub(crate) fn work(stack: &Stack, stopping: &AtomicBool) {
    while !stopping.load(Ordering::SeqCst) {
        let seen = stack.jobs.wake_count();
        let started = stack.now_micros();
        match stack
            .store
            .write(|tx| tx.storage_jobs().claim_storage_job(started))
        {
            Ok(Some(job)) => {
                run_job(stack, job);
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "taking a storage job failed"),
        }
        stack.jobs.wait_for_work(seen, stopping);
    }
}

fn run_job(stack: &Stack, job: StorageJobRecord) {
    let outcome = match stack.auth_of_token(job.project, job.token.id) {
        // A panic must still end the job: a project's storage jobs run one at a time, so one
        // left `processing` would hold back all its later ones until the next start.
        Some(auth) => {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(stack, &auth, &job)))
                .unwrap_or_else(|_| {
                    Err(Error::internal(
                        "running a storage job",
                        format!("storage job {} panicked", job.id),
                    ))
                })
        }
        None => Err(Error::forbidden(format!(
            "token {} that asked for storage job {} was deleted or has expired; ask again \
             with another token",
            job.token.id, job.id
        ))),
    };
    let (status, results, error) = match outcome {
        Ok(results) => (StorageJobStatus::Success, results, None),
        Err(e) => {
            let message = match e.kind() {
                // The message of a fault is for the log only, as in a synchronous answer.
                crate::error::ErrorKind::Internal => {
                    tracing::error!(job = %job.id, error = %e, "a storage job failed");
                    "an internal error occurred; the stack's log has the details".to_string()
                }
                _ => e.message().to_string(),
            };
            let error = StorageJobError {
                code: e.code().to_string(),
                message,
            };
            (StorageJobStatus::Error, Value::Null, Some(error))
        }
    };
    // For the same reason, recording the end is retried when the store is busy for a moment.
    let mut ended = Err(Error::internal(
        "recording the end of a storage job",
        "not tried",
    ));
    for attempt in 0..5u64 {
        ended = finish(stack, &job, status, &results, error.as_ref());
        if ended.is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200 * (attempt + 1)));
    }
    if let Err(e) = ended {
        tracing::error!(job = %job.id, error = %e, "recording the end of a storage job failed");
    }
    stack.jobs.notify();
}

/// Records the end of `job` with the event that says how it ended, in one transaction.
fn finish(
    stack: &Stack,
    job: &StorageJobRecord,
    status: StorageJobStatus,
    results: &Value,
    error: Option<&StorageJobError>,
) -> Result<()> {
    stack.store.write(|tx| {
        let ended_micros = tx.now_micros();
        tx.storage_jobs().finish_storage_job(
            job.id,
            &StorageJobEnd {
                status,
                results,
                error,
                ended_micros,
            },
        )?;
        let (level, event, message) = match error {
            None => (
                "info",
                "storage.jobSucceeded",
                format!(
                    "Storage job {} ({}) succeeded",
                    job.id,
                    job.operation.as_str()
                ),
            ),
            Some(e) => (
                "error",
                "storage.jobFailed",
                format!(
                    "Storage job {} ({}) failed: {}",
                    job.id,
                    job.operation.as_str(),
                    e.message
                ),
            ),
        };
        record_at_level(
            tx,
            job.project,
            Some(&job.token),
            level,
            NewEvent {
                event,
                message,
                object_type: "storageJob",
                object_id: job.id.to_string(),
                params: json!({"operationName": job.operation.as_str(), "status": status.as_str()}),
            },
        )
    })
}

/// Runs the operation with the synchronous call the API's own endpoint makes.
fn execute(stack: &Stack, auth: &TokenAuth, job: &StorageJobRecord) -> Result<Value> {
    match job.operation {
        StorageOperation::TableCreate => {
            let bucket: BucketId = job.object_id.parse()?;
            let table = stack.create_table_from_file(auth, &bucket, &parse_params(job)?)?;
            Ok(serde_json::to_value(table)?)
        }
        StorageOperation::TableImport => {
            let table: TableId = job.object_id.parse()?;
            let query: ImportQuery = parse_params(job)?;
            stack.import_table_from_file(auth, &table, &query)
        }
        StorageOperation::TableExport => {
            let table: TableId = job.object_id.parse()?;
            let query: ExportQuery = parse_params(job)?;
            stack.export_table_to_file(auth, &table, &query)
        }
        StorageOperation::BucketDelete => {
            let bucket: BucketId = job.object_id.parse()?;
            let query: BucketDeleteQuery = parse_params(job)?;
            stack.delete_bucket(auth, &bucket, query.force)?;
            Ok(Value::Null)
        }
        StorageOperation::TableDelete => {
            let table: TableId = job.object_id.parse()?;
            stack.delete_table(auth, &table)?;
            Ok(Value::Null)
        }
        StorageOperation::TableOptimize => {
            let table: TableId = job.object_id.parse()?;
            stack.get_table(auth, &table)?;
            Ok(Value::Null)
        }
        StorageOperation::WorkspaceLoad | StorageOperation::WorkspaceLoadClone => {
            let id: WorkspaceId = job.object_id.parse()?;
            let request: WorkspaceLoadRequest = serde_json::from_value(job.params.clone())
                .map_err(|e| Error::invalid("storage.jobs.invalidParams", e.to_string()))?;
            let kind = match job.operation {
                StorageOperation::WorkspaceLoad => LoadKind::Load,
                _ => LoadKind::Clone,
            };
            let load = stack.load_workspace(auth, id, &request, kind)?;
            Ok(serde_json::to_value(load.results)?)
        }
    }
}
