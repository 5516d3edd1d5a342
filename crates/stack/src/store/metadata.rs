//! Key-value metadata on projects, buckets, tables, columns and configurations.

use stackport_model::api::{MetadataEntry, MetadataKeyValue};
use stackport_model::{
    BucketId, ColumnName, ComponentId, ConfigId, MetadataId, ProjectId, TableId,
};

use crate::error::Result;

/// What metadata is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataObject {
    /// A bucket.
    Bucket(BucketId),
    /// A table.
    Table(TableId),
    /// One column of a table.
    Column(TableId, ColumnName),
    /// A component configuration.
    Configuration(ComponentId, ConfigId),
    /// The project itself (the reference platform keeps it on the default branch): a place for
    /// descriptions and ownership notes that belong to no bucket.
    Project,
}

impl MetadataObject {
    /// The kind of object, as stored and as messages name it.
    pub fn kind(&self) -> &'static str {
        match self {
            MetadataObject::Bucket(_) => "bucket",
            MetadataObject::Table(_) => "table",
            MetadataObject::Column(..) => "column",
            MetadataObject::Configuration(..) => "configuration",
            MetadataObject::Project => "project",
        }
    }

    /// The object's key within its kind, as stored and as messages name it.
    pub fn key(&self) -> String {
        match self {
            MetadataObject::Bucket(b) => b.to_string(),
            MetadataObject::Table(t) => t.to_string(),
            // Column names cannot contain '.', so the split is unambiguous.
            MetadataObject::Column(t, c) => format!("{t}.{c}"),
            // Component ids cannot contain '/'.
            MetadataObject::Configuration(component, id) => format!("{component}/{id}"),
            MetadataObject::Project => "default".to_string(),
        }
    }
}

/// Which objects' metadata to delete at once.
#[derive(Debug, Clone, Copy)]
pub enum MetadataScope<'a> {
    /// Just this object.
    Object(&'a MetadataObject),
    /// A table and its columns.
    Table(&'a TableId),
    /// A bucket, its tables and their columns.
    Bucket(&'a BucketId),
}

/// Key-value metadata on projects, buckets, tables, columns and configurations; an object has
/// at most one entry per provider and key.
pub trait MetadataEntries {
    /// The object's entries, in the order they were first written.
    fn list_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
    ) -> Result<Vec<MetadataEntry>>;
    /// Writes entries under `provider`: a key the object has from that provider gets the new
    /// value and time (and keeps its id), a new key a new entry with an id the store mints.
    fn upsert_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
        provider: &str,
        entries: &[MetadataKeyValue],
        now_micros: i64,
    ) -> Result<()>;
    /// The object's entry `id`, if it has it.
    fn get_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
        id: MetadataId,
    ) -> Result<Option<MetadataEntry>>;
    /// Deletes the object's entry `id`; returns whether it had it.
    fn delete_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
        id: MetadataId,
    ) -> Result<bool>;
    /// Deletes every entry in `scope`; returns how many.
    fn delete_metadata_of(&mut self, project: ProjectId, scope: MetadataScope<'_>) -> Result<u64>;
}
