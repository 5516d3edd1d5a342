//! Table storage: where the rows of Storage tables live.
//!
//! The trait is deliberately narrow (create, alter, import a stream of rows, export a stream of
//! rows, statistics) so that a backend on another database can be added without touching the
//! rules in `ops` or the HTTP layer. Every backend must pass [`conformance`].

use stackport_model::{api::ColumnFilter, ColumnName, ProjectId};

use crate::error::Result;

#[cfg(feature = "conformance")]
pub mod conformance;

/// `ident` as a quoted SQL identifier.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

mod physical;
pub use physical::PhysicalName;

/// Figures a backend keeps about a table, updated in the same transaction as its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Rows stored.
    pub rows_count: u64,
    /// Bytes of the values, `_timestamp` not counted.
    pub data_size_bytes: u64,
    /// Microseconds since the epoch of the last change of rows or structure.
    pub last_change_micros: i64,
    /// Of the last import; none before the first.
    pub last_import_micros: Option<i64>,
    /// Grows with every change, so a reader can tell whether the table changed under it.
    pub change_seq: u64,
}

/// An import: which columns the incoming rows carry and how they are merged.
#[derive(Debug, Clone)]
pub struct ImportPlan<'a> {
    /// The table.
    pub table: &'a PhysicalName,
    /// The columns of each incoming row, in order; a subset of the table's columns.
    pub columns: &'a [ColumnName],
    /// The table's primary key; rows upsert on it when it is not empty.
    pub primary_key: &'a [ColumnName],
    /// Keep the existing rows (append, or upsert with a key) instead of replacing them all.
    pub incremental: bool,
    /// The time recorded as the import's.
    pub now_micros: i64,
    /// Recorded in the same transaction as the rows, so an import replayed after a crash
    /// (the client never saw the answer) can be recognised and not applied twice.
    pub idempotency_key: Option<&'a str>,
}

/// An import already applied under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedImport {
    /// The table it went into.
    pub table: String,
    /// The rows it carried.
    pub imported_rows: u64,
}

/// Receives the rows of an import, inside the backend's transaction.
pub trait RowSink {
    /// Stores one row: `values` in the order of [`ImportPlan::columns`].
    fn insert(&mut self, values: &[&str], timestamp_micros: i64) -> Result<()>;
}

/// What an export reads.
#[derive(Debug, Clone, Default)]
pub struct ExportQuery<'a> {
    /// The columns, in the order they are produced.
    pub columns: &'a [ColumnName],
    /// Every filter must match.
    pub filters: &'a [ColumnFilter],
    /// Rows whose `_timestamp` is at or after this.
    pub changed_since: Option<i64>,
    /// Rows whose `_timestamp` is before this.
    pub changed_until: Option<i64>,
    /// At most this many rows.
    pub limit: Option<u64>,
}

/// Feeds rows into an import; returning an error rolls the whole import back.
pub type RowFeed<'f> = dyn FnMut(&mut dyn RowSink) -> Result<()> + 'f;

/// Receives exported rows: the values (UTF-8) and the row's `_timestamp`.
pub type RowVisitor<'f> = dyn FnMut(&[&[u8]], i64) -> Result<()> + 'f;

/// A place where tables' rows are stored.
pub trait TableBackend: Send + Sync {
    /// The name projects record (`sqlite`).
    fn name(&self) -> &'static str;

    /// Creates an empty table.
    fn create_table(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        columns: &[ColumnName],
        primary_key: &[ColumnName],
    ) -> Result<()>;

    /// Drops a table and its rows.
    fn drop_table(&self, project: ProjectId, table: &PhysicalName) -> Result<()>;

    /// Adds a column; existing rows get the empty string.
    fn add_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
    ) -> Result<()>;

    /// Removes a column that is not in the primary key.
    fn drop_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
    ) -> Result<()>;

    /// Sets (or with an empty list removes) the primary key; refuses when rows repeat a key.
    fn set_primary_key(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        primary_key: &[ColumnName],
    ) -> Result<()>;

    /// Runs an import in one transaction: `feed` pushes rows into the sink; if it or the
    /// backend fails, the table is left exactly as it was.
    fn import(
        &self,
        project: ProjectId,
        plan: &ImportPlan<'_>,
        feed: &mut RowFeed<'_>,
    ) -> Result<TableStats>;

    /// Streams the rows matching `query` to `visit`, in storage order; returns the row count.
    fn export(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
        visit: &mut RowVisitor<'_>,
    ) -> Result<u64>;

    /// Counts the rows matching `query` (its columns are ignored).
    fn count(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
    ) -> Result<u64>;

    /// The table's figures.
    fn stats(&self, project: ProjectId, table: &PhysicalName) -> Result<TableStats>;

    /// The import applied under `key` in the project, if any.
    fn applied_import(&self, project: ProjectId, key: &str) -> Result<Option<AppliedImport>>;

    /// The figures of every table of a project, by physical name, in one go for listings.
    fn stats_all(
        &self,
        project: ProjectId,
    ) -> Result<std::collections::HashMap<String, TableStats>>;

    /// Removes everything the backend holds for a project.
    fn drop_project(&self, project: ProjectId) -> Result<()>;

    /// The physical tables the backend holds for a project, whatever the catalog says: the
    /// orphan sweep at `Stack::open` compares them with the catalog.
    fn list_physical(&self, project: ProjectId) -> Result<Vec<String>>;

    /// Drops a physical table by the name [`TableBackend::list_physical`] gave; nothing if
    /// it is not there.
    fn drop_physical(&self, project: ProjectId, name: &str) -> Result<()>;
}
