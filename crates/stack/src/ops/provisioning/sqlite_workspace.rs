//! A provisioned SQLite workspace's database: here SQLite is the product, a file the
//! workspace's user connects to, not the stack's own bookkeeping.

use std::path::Path;

use rusqlite::{params_from_iter, Connection, OpenFlags, TransactionBehavior};
use stackport_model::{ProjectId, WorkspaceId};

use super::load::Planned;
use crate::backend::{quote, RowVisitor, BOOKKEEPING_PREFIX};
use crate::error::{Error, Result};

/// How long a load waits for another writer of the same workspace database (a user's
/// session, another load) before it gives up.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

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

/// Streams each planned table's rows (from `rows`) into the database at `path`, in one
/// transaction; with `preserve` false the workspace's tables are dropped first. Returns each
/// table's row count, in order.
pub(super) fn load(
    path: &Path,
    preserve: bool,
    planned: &[Planned],
    rows: &mut dyn FnMut(&Planned, &mut RowVisitor<'_>) -> Result<u64>,
) -> Result<Vec<u64>> {
    // Never created here: a workspace deleted since it was looked up is gone, not made anew.
    let mut conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(
        |e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::CannotOpen) => Error::not_found(
                "workspaces.notFound",
                "the workspace's database is gone: the workspace was deleted during the load",
            ),
            _ => Error::from(e),
        },
    )?;
    conn.busy_timeout(BUSY_WAIT)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !preserve {
        for table in user_tables(&tx)? {
            tx.execute_batch(&format!("DROP TABLE {}", quote(&table)))
                .map_err(|e| in_the_way(&format!("dropping table '{table}'"), e))?;
        }
    }
    let mut counts = Vec::with_capacity(planned.len());
    for p in planned {
        let columns: Vec<&str> = p.stream.columns().iter().map(|c| c.as_str()).collect();
        let table = quote(&p.destination);
        let existing = table_columns(&tx, &p.destination)?;
        if p.incremental && !existing.is_empty() {
            if existing != columns {
                return Err(Error::invalid(
                    "workspaces.columnsDiffer",
                    format!(
                        "table '{}' in the workspace has columns {existing:?}, the load of {} \
                         has {columns:?}; load it without incremental to replace it",
                        p.destination, p.source
                    ),
                ));
            }
        } else {
            let replacing = format!("replacing table '{}'", p.destination);
            tx.execute_batch(&format!("DROP TABLE IF EXISTS {table}"))
                .map_err(|e| in_the_way(&replacing, e))?;
            let defs: Vec<String> = columns
                .iter()
                .map(|c| format!("{} TEXT", quote(c)))
                .collect();
            tx.execute_batch(&format!("CREATE TABLE {table} ({})", defs.join(", ")))
                .map_err(|e| in_the_way(&replacing, e))?;
        }
        let names: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let marks = vec!["?"; columns.len()].join(", ");
        let writing = format!("writing rows to table '{}'", p.destination);
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO {table} ({}) VALUES ({marks})",
                names.join(", ")
            ))
            .map_err(|e| in_the_way(&writing, e))?;
        let count = rows(p, &mut |values, _timestamp| {
            insert
                .execute(params_from_iter(
                    values.iter().map(|v| String::from_utf8_lossy(v)),
                ))
                .map_err(|e| in_the_way(&writing, e))?;
            Ok(())
        })?;
        counts.push(count);
    }
    tx.commit()?;
    Ok(counts)
}

/// An error of a load's statement: when SQLite refused it for what the workspace holds (a
/// view or index of that name, a constraint or trigger of the user's), a 409 saying so, since
/// the workspace's user put it there; anything else (disk, I/O) is the stack's fault.
fn in_the_way(doing: &str, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::{ConstraintViolation, Unknown};
    match &e {
        rusqlite::Error::SqliteFailure(f, message)
            if matches!(f.code, ConstraintViolation | Unknown) =>
        {
            Error::conflict(
                "workspaces.loadConflict",
                format!(
                    "{doing} in the workspace failed: {}; an object of the workspace stands in \
                     the way: drop it, or load under another destination",
                    message.as_deref().unwrap_or("refused by the database")
                ),
            )
        }
        _ => Error::from(e),
    }
}

/// The workspace's own tables: not its marker, not SQLite's.
fn user_tables(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for name in names {
        let name = name?;
        let lower = name.to_ascii_lowercase();
        if !lower.starts_with(BOOKKEEPING_PREFIX) && !lower.starts_with("sqlite_") {
            out.push(name);
        }
    }
    Ok(out)
}

/// The columns of `table` in order; empty when there is no such table.
fn table_columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
    let names = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    Ok(names.collect::<rusqlite::Result<Vec<_>>>()?)
}
