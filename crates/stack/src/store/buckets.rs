//! Buckets of Storage.

use stackport_model::{BucketId, ProjectId};

use crate::error::Result;

/// A bucket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRecord {
    pub id: BucketId,
    pub display_name: String,
    pub description: String,
    pub backend: String,
    pub created_micros: i64,
    /// Of the bucket's own records (a table created, altered or removed in it); its tables'
    /// rows change in the backend.
    pub last_change_micros: i64,
}

/// A bucket to insert; its id is the one the rules checked (stage and name), not minted.
#[derive(Debug, Clone)]
pub struct NewBucketRecord<'a> {
    pub id: &'a BucketId,
    pub display_name: &'a str,
    pub description: &'a str,
    pub backend: &'a str,
    pub created_micros: i64,
}

/// Buckets of Storage.
pub trait BucketStore {
    /// Inserts a bucket, its `last_change` its creation. Refuses an id the project already has
    /// (the rules ask [`BucketStore::bucket_name_taken`] first, to say which bucket conflicts).
    fn insert_bucket(&mut self, project: ProjectId, new: &NewBucketRecord<'_>) -> Result<()>;
    /// The bucket, if the project has it (ids compare exactly).
    fn get_bucket(&mut self, project: ProjectId, id: &BucketId) -> Result<Option<BucketRecord>>;
    /// The project's buckets, by id.
    fn list_buckets(&mut self, project: ProjectId) -> Result<Vec<BucketRecord>>;
    /// A bucket a new bucket `id` named `display_name` would clash with: the same id compared
    /// case-insensitively, or the same display name in the same stage.
    fn bucket_name_taken(
        &mut self,
        project: ProjectId,
        id: &BucketId,
        display_name: &str,
    ) -> Result<Option<BucketId>>;
    /// Sets the bucket's `last_change`.
    fn touch_bucket(&mut self, project: ProjectId, id: &BucketId, now_micros: i64) -> Result<()>;
    /// Deletes the bucket; refuses one that still holds tables or aliases (the rules delete
    /// them, and the metadata of everything in it, first). Returns whether it existed.
    fn delete_bucket(&mut self, project: ProjectId, id: &BucketId) -> Result<bool>;
}
