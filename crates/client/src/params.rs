//! Query parameters of the calls that take many.

use stackport_model::api::ColumnFilter;
use stackport_model::EventId;

fn flag(out: &mut Vec<(&'static str, String)>, name: &'static str, value: bool) {
    if value {
        out.push((name, "true".into()));
    }
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportParams {
    /// Upsert on the key, or append.
    pub incremental: bool,
    /// The file's columns; it then has no header.
    pub columns: Option<Vec<String>>,
    /// The file has no header row.
    pub without_headers: bool,
    /// Field delimiter.
    pub delimiter: Option<String>,
    /// Enclosure character.
    pub enclosure: Option<String>,
    /// Take `_timestamp` from the file.
    pub use_timestamp_from_data_file: bool,
    /// The body is gzip.
    pub gzip: bool,
    /// Give every imported row this `_timestamp` (ISO 8601).
    pub timestamp: Option<String>,
    /// Apply the import once; a replay with the same key changes nothing.
    pub idempotency_key: Option<String>,
    /// The rows the body holds: the stack refuses the import (and commits nothing) when it
    /// parsed another number.
    pub expected_rows: Option<u64>,
}

impl ImportParams {
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        flag(&mut q, "incremental", self.incremental);
        flag(&mut q, "withoutHeaders", self.without_headers);
        flag(
            &mut q,
            "useTimestampFromDataFile",
            self.use_timestamp_from_data_file,
        );
        if let Some(c) = &self.columns {
            q.push(("columns", c.join(",")));
        }
        if let Some(d) = &self.delimiter {
            q.push(("delimiter", d.clone()));
        }
        if let Some(e) = &self.enclosure {
            q.push(("enclosure", e.clone()));
        }
        if let Some(t) = &self.timestamp {
            q.push(("timestamp", t.clone()));
        }
        if let Some(k) = &self.idempotency_key {
            q.push(("idempotencyKey", k.clone()));
        }
        if let Some(n) = self.expected_rows {
            q.push(("expectedRows", n.to_string()));
        }
        q
    }
}

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
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        flag(
            &mut q,
            "includeInternalTimestamp",
            self.include_internal_timestamp,
        );
        flag(&mut q, "gzip", self.gzip);
        if let Some(c) = &self.columns {
            q.push(("columns", c.join(",")));
        }
        if let Some(s) = &self.changed_since {
            q.push(("changedSince", s.clone()));
        }
        if let Some(s) = &self.changed_until {
            q.push(("changedUntil", s.clone()));
        }
        if !self.where_filters.is_empty() {
            q.push((
                "whereFilters",
                serde_json::to_string(&self.where_filters).unwrap_or_default(),
            ));
        }
        if let Some(l) = self.limit {
            q.push(("limit", l.to_string()));
        }
        q
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
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![("name", self.name.clone())];
        flag(&mut q, "isPermanent", self.is_permanent);
        if !self.tags.is_empty() {
            q.push(("tags", self.tags.join(",")));
        }
        if let Some(d) = self.max_age_days {
            q.push(("maxAgeDays", d.to_string()));
        }
        q
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
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(t) = &self.object_type {
            q.push(("objectType", t.clone()));
        }
        if let Some(i) = &self.object_id {
            q.push(("objectId", i.clone()));
        }
        if let Some(s) = self.since_id {
            q.push(("sinceId", s.to_string()));
        }
        if let Some(l) = self.limit {
            q.push(("limit", l.to_string()));
        }
        q
    }
}
