//! Storage jobs: the asynchronous table and bucket operations of the Storage API. Each change
//! of a job's status is one write transaction, so an accepted job survives a restart.

use stackport_model::api::{StorageJobError, StorageJobStatus, StorageOperation, TokenRef};
use stackport_model::{ProjectId, StorageJobId};

use crate::error::Result;

/// A storage job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageJobRecord {
    pub id: StorageJobId,
    pub project: ProjectId,
    pub operation: StorageOperation,
    /// The bucket or table it works on, as its id reads.
    pub object_id: String,
    /// Its parameters: a JSON object of name → value (or list of values), as they were sent.
    pub params: serde_json::Value,
    pub status: StorageJobStatus,
    /// What it made; null until it succeeds.
    pub results: serde_json::Value,
    pub error: Option<StorageJobError>,
    pub created: i64,
    pub started: Option<i64>,
    pub ended: Option<i64>,
    pub token: TokenRef,
}

/// A job to accept; the store mints its id and stores it `waiting`.
#[derive(Debug, Clone)]
pub struct NewStorageJobRecord<'a> {
    pub project: ProjectId,
    pub operation: StorageOperation,
    pub object_id: &'a str,
    pub params: &'a serde_json::Value,
    pub token: &'a TokenRef,
    pub created_micros: i64,
}

/// How a job ended.
#[derive(Debug, Clone)]
pub struct StorageJobEnd<'a> {
    /// `success` or `error`.
    pub status: StorageJobStatus,
    pub results: &'a serde_json::Value,
    pub error: Option<&'a StorageJobError>,
    pub ended_micros: i64,
}

/// The storage jobs of every project.
pub trait StorageJobStore {
    /// Accepts a job; returns the id the store minted, greater than every id before it.
    fn insert_storage_job(&mut self, new: &NewStorageJobRecord<'_>) -> Result<StorageJobId>;
    /// A job of `project`; another project's job is not found.
    fn get_storage_job(
        &mut self,
        project: ProjectId,
        id: StorageJobId,
    ) -> Result<Option<StorageJobRecord>>;
    /// `project`'s jobs, newest first: at most `limit` after skipping `offset`.
    fn list_storage_jobs(
        &mut self,
        project: ProjectId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<StorageJobRecord>>;
    /// Takes the oldest waiting job of a project that has no job processing, marking it
    /// processing with `started_micros`, in one step: two workers never take the same job, and
    /// a project's jobs run one at a time, in the order they were accepted.
    fn claim_storage_job(&mut self, started_micros: i64) -> Result<Option<StorageJobRecord>>;
    /// Ends a processing job. False if it was not processing, and then nothing changes.
    fn finish_storage_job(&mut self, id: StorageJobId, end: &StorageJobEnd<'_>) -> Result<bool>;
    /// Every job processing now, of every project, oldest first.
    fn processing_storage_jobs(&mut self) -> Result<Vec<StorageJobRecord>>;
    /// How many jobs `project` has, in any status.
    fn count_storage_jobs(&mut self, project: ProjectId) -> Result<u64>;
}
