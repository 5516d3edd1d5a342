//! A provisioned SQLite workspace's database: here SQLite is the product, a file the
//! workspace's user connects to, not the stack's own bookkeeping.

use std::path::Path;

use stackport_model::{ProjectId, WorkspaceId};

use crate::error::Result;

/// Creates the database at `path` with the marker table that says whose it is.
pub(super) fn create(
    path: &Path,
    id: WorkspaceId,
    project: ProjectId,
    created_micros: i64,
) -> Result<()> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS _stackport_workspace \
         (id INTEGER, project INTEGER, created INTEGER);
         INSERT INTO _stackport_workspace VALUES ({id}, {}, {created_micros});",
        project.0
    ))?;
    Ok(())
}

/// Removes workspace `id`'s database beside `path` (`<id>.sqlite`) with its journal files;
/// what cannot be removed is logged, the workspace is gone either way.
pub(super) fn remove(path: &Path, id: WorkspaceId) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = path.with_file_name(format!("{id}.sqlite{suffix}"));
        if let Err(e) = std::fs::remove_file(&file) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(
                    file = %file.display(),
                    error = %e,
                    "removing a workspace database failed"
                );
            }
        }
    }
}
