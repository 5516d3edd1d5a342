//! Table rows on a PostgreSQL server: one schema per project (`p<project id>`), one table per
//! Storage table named by its `PhysicalName`, plus the schema's own bookkeeping tables
//! (`_stackport_stats`, `_stackport_import_keys`) written in the same transaction as the rows,
//! so figures and idempotency keys can never disagree with them.
//!
//! The layout follows the SQLite backend's, so both answer the conformance suite alike: an
//! identity row key (`_stackport_row`) gives storage order, `_timestamp` is a `BIGINT` of
//! microseconds, the primary key is a unique index `<table>_pk`, and every column of an untyped
//! table is `TEXT NOT NULL DEFAULT ''`. A typed table's columns have PostgreSQL's own types
//! (`BIGINT`, `NUMERIC(p,s)`, `DOUBLE PRECISION`, `BOOLEAN`, `DATE`, `TIMESTAMPTZ`,
//! `VARCHAR(n)`; NULL for the empty value of a nullable column), and take each value only in
//! the one form PostgreSQL gives back (module `native`). A user's column name PostgreSQL cannot
//! take as it is (a system column such as `ctid`, or over 63 bytes) is stored under a name
//! derived from it (module `names`).
//!
//! The server also hosts SQL accounts (`TableBackend::sql_host`): provisioned workspaces and
//! transformation sandboxes, each a login role owning one schema (modules `accounts`,
//! `account_load`, `sandbox`, `sql_host`).
//!
//! Not yet: the CSV export with row times still formats them on this side rather than in the
//! server's `COPY`.

mod account_load;
mod accounts;
mod backend;
mod claim;
mod csv_copy;
mod error;
mod export;
mod import;
mod names;
mod native;
mod pool;
mod sandbox;
mod schema;
mod sql_host;

pub use accounts::account_role_prefix;
pub use backend::PostgresBackend;
