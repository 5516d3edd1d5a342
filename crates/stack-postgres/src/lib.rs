//! Table rows on a PostgreSQL server: one schema per project (`p<project id>`), one table per
//! Storage table, every column `TEXT`, plus the schema's own bookkeeping tables for statistics and
//! idempotency keys, written in the same transaction as the rows.
//!
//! Typed tables are stored as text like untyped ones for now: native types are a later slice.

mod backend;
mod csv_copy;
mod error;
mod export;
mod import;
mod names;
mod pool;
mod schema;

pub use backend::PostgresBackend;
