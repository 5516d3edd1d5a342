//! Query parameters of the calls that take many, written through the model's query structs so
//! that each name is spelled where the server reads it.

use stackport_model::api::query::{EventListQuery, ExportQuery, FileUploadQuery, Query};
use stackport_model::api::ColumnFilter;
use stackport_model::EventId;

/// Options of an import: the model's one struct of import parameters, which the server reads
/// too (`gzip` also sends `Content-Encoding: gzip`).
pub use stackport_model::api::query::ImportQuery as ImportParams;

/// Options of an export.
#[derive(Debug, Clone, Default)]
pub struct ExportParams {
    /// Only these columns.
    pub columns: Option<Vec<String>>,
    /// Rows changed at or after this.
    pub changed_since: Option<String>,
    /// Rows changed before this.
    pub changed_until: Option<String>,
    /// Row filters.
    pub where_filters: Vec<ColumnFilter>,
    /// At most this many rows.
    pub limit: Option<u64>,
    /// Add `_timestamp`.
    pub include_internal_timestamp: bool,
    /// Answer gzip.
    pub gzip: bool,
}

impl ExportParams {
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        ExportQuery {
            columns: self.columns.clone(),
            changed_since: self.changed_since.clone(),
            changed_until: self.changed_until.clone(),
            where_filters: (!self.where_filters.is_empty()).then(|| self.where_filters.clone()),
            limit: self.limit,
            include_internal_timestamp: self.include_internal_timestamp,
            gzip: self.gzip,
            ..ExportQuery::default()
        }
        .to_pairs()
    }
}

/// An upload's facts.
#[derive(Debug, Clone, Default)]
pub struct FileUpload {
    /// The name.
    pub name: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Never expires.
    pub is_permanent: bool,
    /// Days until deletion.
    pub max_age_days: Option<u32>,
}

impl FileUpload {
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        FileUploadQuery {
            name: Some(self.name.clone()),
            tags: (!self.tags.is_empty()).then(|| self.tags.clone()),
            is_permanent: self.is_permanent,
            max_age_days: self.max_age_days,
        }
        .to_pairs()
    }
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only of this object type.
    pub object_type: Option<String>,
    /// Only of this object.
    pub object_id: Option<String>,
    /// Only after this event.
    pub since_id: Option<EventId>,
    /// At most this many.
    pub limit: Option<u32>,
}

impl EventQuery {
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        EventListQuery {
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            since_id: self.since_id,
            limit: self.limit,
        }
        .to_pairs()
    }
}
