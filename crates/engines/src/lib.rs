//! The storage a stack runs on, built from its settings: metadata and files on the embedded
//! SQLite storage, and table rows in every backend `stack.json` offers — a SQLite file per
//! project, and a schema per project on each registered PostgreSQL server.
//!
//! This is the one crate that knows every engine, so `serve`, the demo and the tests open a
//! stack the same way; the engines themselves know only the seams of `stackport-stack`.

use std::path::Path;
use std::sync::Arc;

use stackport_stack::backend::TableBackend;
use stackport_stack::secrets::Keyring;
use stackport_stack::{Result, Stack, StackSettings, Storage};
use stackport_stack_postgres::PostgresBackend;

/// The storage of the stack in `dir` with `settings`. A registered PostgreSQL server that does
/// not answer is logged and left to connect when first used, so one server down does not keep
/// the stack from serving the projects that live elsewhere.
pub fn storage(dir: &Path, settings: &StackSettings, keyring: &Keyring) -> Result<Storage> {
    let mut storage = stackport_stack_sqlite::embedded(dir, settings, keyring)?;
    for server in &settings.postgres {
        let backend =
            PostgresBackend::on_server(&settings.id, &server.id, &server.connection_url(keyring)?)?;
        if let Err(e) = backend.check() {
            // Another stack's database is a mistake in stack.json, not an outage: serving
            // would fail every request of the server's projects, so the stack does not start.
            if e.code() == "storage.backend.claimed" {
                return Err(e);
            }
            tracing::warn!(
                server = %server.id,
                url = %server.url,
                error = %e,
                "a PostgreSQL server does not answer; its projects fail until it does"
            );
        }
        storage
            .tables
            .push(Arc::new(backend) as Arc<dyn TableBackend>);
    }
    Ok(storage)
}

/// Opens the stack in `dir`; a dir without settings gets `default_settings()` first.
pub fn open(dir: &Path, default_settings: impl FnOnce() -> StackSettings) -> Result<Stack> {
    Stack::open_with(dir, default_settings, storage)
}

/// Connects to a server about to be registered by the stack `stack`, so `stack init` and
/// `stack add-postgres` refuse an address that does not answer, a database table data cannot
/// live in or that another stack holds, or a user who may not create the accounts of
/// workspaces and transformations. The database is claimed for `stack` from here on.
pub fn check_postgres(stack: &str, url: &str) -> Result<()> {
    PostgresBackend::connect_for(stack, url)?.check_rights()
}
