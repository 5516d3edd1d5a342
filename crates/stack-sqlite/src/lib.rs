//! The embedded storage of a stack: its metadata in one SQLite file and each project's table
//! rows in a SQLite file of its own. Nothing to install; the default of `stackport serve`.
//!
//! This is the only place the stack's own bookkeeping speaks SQL to SQLite; `stackport-stack`
//! holds the rules and talks to this crate through its seams.

mod meta {
    mod buckets;
    mod configs;
    mod events;
    mod files;
    mod jobs;
    mod metadata;
    mod oauth;
    mod orchestrations;
    mod projects;
    mod schedules;
    mod storage_jobs;
    mod tables;
    mod tokens;
    mod triggers;
    mod users;
    mod workspaces;
}
mod metadata;
mod row;
mod table_backend;

use std::path::Path;
use std::sync::Arc;

use stackport_stack::files::LocalFileStore;
use stackport_stack::secrets::Keyring;
use stackport_stack::settings::StackSettings;
use stackport_stack::{Result, Stack, Storage};

pub use metadata::{SqliteMetadata, SqliteTx};
pub use table_backend::SqliteBackend;

/// The storage of a stack whose data dir is `dir`: `metadata.sqlite`, `tables/` and `files/`.
pub fn embedded(dir: &Path, _settings: &StackSettings, _keyring: &Keyring) -> Result<Storage> {
    Ok(Storage {
        metadata: Box::new(SqliteMetadata::open(&dir.join("metadata.sqlite"))?),
        tables: vec![Arc::new(SqliteBackend::new(dir.join("tables"))?)],
        files: Box::new(LocalFileStore::open(&dir.join("files"))?),
    })
}

/// Opens the stack in `dir` on embedded storage; a dir without settings gets
/// `default_settings()` first.
pub fn open(dir: &Path, default_settings: impl FnOnce() -> StackSettings) -> Result<Stack> {
    Stack::open_with(dir, default_settings, embedded)
}
