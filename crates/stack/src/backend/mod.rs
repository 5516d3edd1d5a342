//! Table storage: where the rows of Storage tables live.
//!
//! The trait is deliberately narrow (create, alter, import a stream of rows, export a stream of
//! rows, statistics) so that a backend on another database can be added without touching the
//! rules in `ops` or the HTTP layer. Every backend must pass `conformance` (feature `conformance`); the stack finds
//! its backends by name in a [`BackendRegistry`] built from its settings.
//!
//! # Order across the two databases
//! The catalog (metadata store) and the rows (a backend) live in different databases with no
//! transaction spanning both, so every change follows one order:
//! - **Structure** (create, drop, alter): the rules run the backend's DDL *last*, inside the
//!   metadata write transaction. If the DDL fails, the metadata transaction rolls back and the
//!   catalog is as it was. If the process dies after the backend committed and before the
//!   catalog did, the backend holds a physical table the catalog does not name: `Stack::open`
//!   sweeps those (listing them with [`TableBackend::list_physical`], removing them with
//!   [`TableBackend::drop_physical`]), and never touches a name the catalog holds.
//! - **Rows** (imports): an import is one backend transaction, and its idempotency key is
//!   recorded in that same transaction with the rows ([`ImportPlan::idempotency_key`]), so a
//!   replay after a crash is recognised by the backend alone, whatever the catalog knew.
//! - **Time**: a backend never reads a clock. The times it records (`last_change`, the last
//!   import, an idempotency key's) come from the caller, by the stack's clock.

use std::io::Write;

use stackport_model::{
    api::{ColumnDefinition, ColumnFilter},
    BackendName, ColumnName, ProjectId,
};

use crate::error::Result;

#[cfg(feature = "conformance")]
pub mod conformance;
mod csv_export;
mod registry;
mod sql_host;

pub use csv_export::write as write_csv_from_rows;
pub use registry::BackendRegistry;
pub use sql_host::{
    ConnectionFacts, SqlAccount, SqlCanceller, SqlFailure, SqlHost, SqlSandbox, TableLoad,
};

/// `ident` as a quoted SQL identifier.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// A backend keeps its own tables under names with this prefix: never listed by
/// [`TableBackend::list_physical`], refused by [`TableBackend::drop_physical`]. The stack never
/// chooses such a name for a table's data.
pub const BOOKKEEPING_PREFIX: &str = "_stackport";

mod physical;
pub use physical::PhysicalName;

/// The error code of an import a backend refuses because it would store a typed value in
/// another form than it was given (see [`TableBackend::import`]).
pub const VALUE_WOULD_CHANGE: &str = "storage.import.valueWouldChange";

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
    /// The columns of each incoming row, in order; a subset of the table's columns. Of a typed
    /// table, every column that is not nullable is among them (the stack refuses data without
    /// one), so a backend never has to make a value up.
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

/// How [`TableBackend::export_csv`] lays its CSV out. Whatever the backend, the bytes are the
/// stack's one form: a header of the column names, every value enclosed in `"` with quotes
/// doubled, `\n` after each record (see [`crate::csv::CsvWriter`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvLayout {
    /// Add each row's `_timestamp` as a last column, as an RFC 3339 time
    /// (`stackport_model::time::format`).
    pub timestamp_column: bool,
}

/// A place where tables' rows are stored.
///
/// See the module's docs for the order of changes across the catalog and the backend.
pub trait TableBackend: Send + Sync {
    /// The name projects record and settings offer (`sqlite`).
    fn name(&self) -> BackendName;

    /// Which server of its kind this backend is (the id of a registered PostgreSQL server),
    /// for a backend a stack may have several of; projects record it as their placement.
    /// None for a backend there is only one of.
    fn placement(&self) -> Option<&str> {
        None
    }

    /// Creates an empty table; `now_micros` becomes its last change.
    ///
    /// `definitions` is a typed table's definition of each column, in the order of `columns`
    /// (`None` for an untyped table). A backend may store typed columns in native types of its
    /// database, and must then still give every value back exactly as it was imported (see
    /// [`TableBackend::import`]); it may also ignore the types and keep text.
    fn create_table(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        columns: &[ColumnName],
        definitions: Option<&[ColumnDefinition]>,
        primary_key: &[ColumnName],
        now_micros: i64,
    ) -> Result<()>;

    /// Drops a table and its rows.
    fn drop_table(&self, project: ProjectId, table: &PhysicalName) -> Result<()>;

    /// Adds a column; existing rows get the empty string. `definition` is the new column's when
    /// the table is typed, as in [`TableBackend::create_table`].
    fn add_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
        definition: Option<&ColumnDefinition>,
        now_micros: i64,
    ) -> Result<()>;

    /// Removes a column that is not in the primary key.
    fn drop_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
        now_micros: i64,
    ) -> Result<()>;

    /// Sets (or with an empty list removes) the primary key; refuses when rows repeat a key.
    fn set_primary_key(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        primary_key: &[ColumnName],
        now_micros: i64,
    ) -> Result<()>;

    /// Runs an import in one transaction: `feed` pushes rows into the sink; if it or the
    /// backend fails, the table is left exactly as it was.
    ///
    /// The values of a typed table were checked against its definition before they reach the
    /// sink. A backend storing a typed column in a native type that would give a value back in
    /// another form (`1.5` as `1.50`) refuses the whole import with
    /// [`VALUE_WOULD_CHANGE`], naming the column, its type, the value and the form to send:
    /// every value comes back byte for byte, so a table's fingerprint is the same on every
    /// backend.
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

    /// Writes the rows matching `query` to `out` as CSV laid out by `layout`, header first;
    /// returns the row count. The default formats [`TableBackend::export`]'s rows as they
    /// stream; a database that can produce these exact bytes itself (a server's `COPY ... TO`)
    /// may hand them over instead. Either way memory stays bounded: rows are never collected.
    fn export_csv(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
        layout: CsvLayout,
        out: &mut dyn Write,
    ) -> Result<u64> {
        csv_export::write(query.columns, layout, out, &mut |visit| {
            self.export(project, table, query, visit)
        })
    }

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

    /// The names of every table the backend holds for a project, sorted, its own bookkeeping
    /// ([`BOOKKEEPING_PREFIX`]) left out; none for a project it holds nothing of. With the
    /// catalog's names this finds the orphans a crash left (see the module's docs).
    fn list_physical(&self, project: ProjectId) -> Result<Vec<String>>;

    /// Drops the table `name` (one [`TableBackend::list_physical`] gave) with its rows and
    /// figures; nothing to do when there is no such table. Refuses a name of the backend's own
    /// bookkeeping ([`BOOKKEEPING_PREFIX`]). A plain string, not a [`PhysicalName`]: an orphan
    /// is a name the stack no longer holds.
    fn drop_physical(&self, project: ProjectId, name: &str) -> Result<()>;

    /// Removes everything the backend holds for a project.
    fn drop_project(&self, project: ProjectId) -> Result<()>;

    /// The server's SQL accounts, when it can host them (see [`SqlHost`]); none for a backend
    /// without a server to log into, whose workspaces the stack keeps as files of its own.
    fn sql_host(&self) -> Option<&dyn SqlHost> {
        None
    }
}
