//! Storage jobs: the reference platform's asynchronous table and bucket operations
//! (`tables-async`, `import-async`, `export-async`, async deletes, `optimize`). Its clients
//! poll `GET /v2/storage/jobs/{id}` until `status` is `success` or `error`, then read `results`
//! or `error.message`; this shape is theirs.

use serde::{Deserialize, Serialize};

use super::token::TokenRef;
use crate::ids::{StorageJobId, TableId};
use crate::time::{serde_rfc3339, Timestamp};

/// Where a storage job is. Unlike queue jobs, storage jobs cannot be killed: they end in
/// `success` or `error`, the two states the reference clients wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StorageJobStatus {
    /// Accepted; no worker has taken it yet.
    Waiting,
    /// A worker runs it.
    Processing,
    /// It ran to its end; `results` holds what it made.
    Success,
    /// It failed; `error` says why.
    Error,
}

impl StorageJobStatus {
    /// The name the API and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageJobStatus::Waiting => "waiting",
            StorageJobStatus::Processing => "processing",
            StorageJobStatus::Success => "success",
            StorageJobStatus::Error => "error",
        }
    }

    /// Parses what [`StorageJobStatus::as_str`] gives.
    pub fn parse(s: &str) -> Option<StorageJobStatus> {
        Some(match s {
            "waiting" => StorageJobStatus::Waiting,
            "processing" => StorageJobStatus::Processing,
            "success" => StorageJobStatus::Success,
            "error" => StorageJobStatus::Error,
            _ => return None,
        })
    }
}

/// What a storage job does, named as the reference names its operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StorageOperation {
    /// `POST buckets/{id}/tables-async`: a table made from a file's header and loaded with it.
    TableCreate,
    /// `POST tables/{id}/import-async`.
    TableImport,
    /// `POST tables/{id}/export-async`: rows into a Storage file, without a header row.
    TableExport,
    /// `DELETE buckets/{id}?async=true`.
    BucketDelete,
    /// `DELETE tables/{id}?async=true`.
    TableDelete,
    /// `POST tables/{id}/optimize`: nothing to do on this stack's backends.
    TableOptimize,
    /// `POST workspaces/{id}/load`: tables' rows into a workspace.
    WorkspaceLoad,
    /// `POST workspaces/{id}/load-clone`: whole tables into a workspace.
    WorkspaceLoadClone,
}

impl StorageOperation {
    /// The name the API and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageOperation::TableCreate => "tableCreate",
            StorageOperation::TableImport => "tableImport",
            StorageOperation::TableExport => "tableExport",
            StorageOperation::BucketDelete => "bucketDelete",
            StorageOperation::TableDelete => "tableDelete",
            StorageOperation::TableOptimize => "tableOptimize",
            StorageOperation::WorkspaceLoad => "workspaceLoad",
            StorageOperation::WorkspaceLoadClone => "workspaceLoadClone",
        }
    }

    /// Parses what [`StorageOperation::as_str`] gives.
    pub fn parse(s: &str) -> Option<StorageOperation> {
        [
            StorageOperation::TableCreate,
            StorageOperation::TableImport,
            StorageOperation::TableExport,
            StorageOperation::BucketDelete,
            StorageOperation::TableDelete,
            StorageOperation::TableOptimize,
            StorageOperation::WorkspaceLoad,
            StorageOperation::WorkspaceLoadClone,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// Why a storage job failed: the code and message the synchronous call would have answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageJobError {
    /// The error code (`storage.tables.notFound`, ...).
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
}

/// A storage job as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageJob {
    /// Assigned by the stack; grows with time.
    pub id: StorageJobId,
    /// Where it is.
    pub status: StorageJobStatus,
    /// Where to poll it.
    pub url: String,
    /// What it does.
    pub operation_name: StorageOperation,
    /// The table it works on (for `tableCreate`, the table it made, once it has); none for a
    /// bucket delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_id: Option<TableId>,
    /// The object it works on and the parameters it was given.
    pub operation_params: serde_json::Value,
    /// What it made, once it succeeded (the table, the import's counts, the file); null before.
    pub results: serde_json::Value,
    /// Why it failed, once it did; null otherwise.
    pub error: Option<StorageJobError>,
    /// When it was accepted.
    #[serde(with = "serde_rfc3339")]
    pub created_time: Timestamp,
    /// When a worker took it.
    #[serde(with = "serde_rfc3339::option", default)]
    pub start_time: Option<Timestamp>,
    /// When it ended.
    #[serde(with = "serde_rfc3339::option", default)]
    pub end_time: Option<Timestamp>,
    /// The token that asked for it.
    pub creator_token: TokenRef,
}

impl StorageJob {
    /// Whether it has ended and will not change again.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.status,
            StorageJobStatus::Success | StorageJobStatus::Error
        )
    }
}
