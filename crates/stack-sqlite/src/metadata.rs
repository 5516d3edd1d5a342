//! The metadata seam on one SQLite file in WAL mode: the embedded default.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::{Connection, TransactionBehavior};
use stackport_model::ProjectId;
use stackport_stack::store::*;
use stackport_stack::{Error, Result};

/// Schema upgrades in order; index + 1 is the `user_version` after applying it.
const MIGRATIONS: &[&str] = &[
    include_str!("schema/v1.sql"),
    include_str!("schema/v2.sql"),
    include_str!("schema/v3.sql"),
    include_str!("schema/v4.sql"),
    include_str!("schema/v5.sql"),
    include_str!("schema/v6.sql"),
    include_str!("schema/v7.sql"),
    include_str!("schema/v8.sql"),
    include_str!("schema/v9.sql"),
];

/// One connection behind a mutex: metadata operations are short, and one writer is what
/// SQLite allows anyway.
pub struct SqliteMetadata {
    conn: Mutex<Connection>,
    /// Projects whose table data has a writer now. An embedded stack is one process, so the
    /// lock lives here; a store shared by several processes keeps it in its database.
    writers: Mutex<HashSet<ProjectId>>,
    writer_left: Condvar,
}

impl SqliteMetadata {
    /// Opens (creating and upgrading as needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version as usize > MIGRATIONS.len() {
            return Err(Error::internal(
                "opening the metadata database",
                format!(
                    "{} has schema version {version}, newer than this stackport knows ({}); \
                     run a newer stackport",
                    path.display(),
                    MIGRATIONS.len()
                ),
            ));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(SqliteMetadata {
            conn: Mutex::new(conn),
            writers: Mutex::new(HashSet::new()),
            writer_left: Condvar::new(),
        })
    }

    fn begin(&self, sql: &str) -> Result<Box<dyn MetaTx + '_>> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if !conn.is_autocommit() {
            // The rollback of a transaction dropped earlier failed; end it before the next.
            conn.execute_batch("ROLLBACK")?;
        }
        conn.execute_batch(sql)?;
        Ok(Box::new(SqliteTx { conn, open: true }))
    }
}

impl MetadataStore for SqliteMetadata {
    fn begin_read(&self) -> Result<Box<dyn MetaTx + '_>> {
        self.begin("BEGIN DEFERRED")
    }

    fn begin_write(&self) -> Result<Box<dyn MetaTx + '_>> {
        self.begin("BEGIN IMMEDIATE")
    }

    fn lock_project_writer(&self, project: ProjectId) -> Result<Box<dyn WriterGuard + '_>> {
        let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        while writers.contains(&project) {
            writers = self
                .writer_left
                .wait(writers)
                .unwrap_or_else(|e| e.into_inner());
        }
        writers.insert(project);
        Ok(Box::new(ProjectWriter {
            store: self,
            project,
        }))
    }
}

/// A project's writer lock on an embedded store.
struct ProjectWriter<'a> {
    store: &'a SqliteMetadata,
    project: ProjectId,
}

impl WriterGuard for ProjectWriter<'_> {}

impl Drop for ProjectWriter<'_> {
    fn drop(&mut self) {
        let mut writers = self.store.writers.lock().unwrap_or_else(|e| e.into_inner());
        writers.remove(&self.project);
        self.store.writer_left.notify_all();
    }
}

/// A transaction on the store's connection, which it holds until it ends. The aggregates'
/// traits are implemented on it in this crate's other modules.
pub struct SqliteTx<'a> {
    pub(crate) conn: MutexGuard<'a, Connection>,
    open: bool,
}

impl MetaTx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn projects(&mut self) -> &mut dyn ProjectStore {
        self
    }

    fn tokens(&mut self) -> &mut dyn TokenStore {
        self
    }

    fn users(&mut self) -> &mut dyn UserStore {
        self
    }

    fn oauth(&mut self) -> &mut dyn OAuthStore {
        self
    }

    fn buckets(&mut self) -> &mut dyn BucketStore {
        self
    }

    fn tables(&mut self) -> &mut dyn TableCatalog {
        self
    }

    fn metadata(&mut self) -> &mut dyn MetadataEntries {
        self
    }

    fn files(&mut self) -> &mut dyn FileRecords {
        self
    }

    fn events(&mut self) -> &mut dyn EventLog {
        self
    }

    fn configs(&mut self) -> &mut dyn ConfigStore {
        self
    }

    fn orchestrations(&mut self) -> &mut dyn OrchestrationStore {
        self
    }

    fn workspaces(&mut self) -> &mut dyn WorkspaceStore {
        self
    }

    fn jobs(&mut self) -> &mut dyn JobQueue {
        self
    }

    fn schedules(&mut self) -> &mut dyn ScheduleSlots {
        self
    }

    fn triggers(&mut self) -> &mut dyn TriggerStore {
        self
    }

    fn storage_jobs(&mut self) -> &mut dyn StorageJobStore {
        self
    }
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // If this fails, the next `begin` sees the transaction still open and ends it.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_conformance_suite() {
        let dir = stackport_testkit::TempDir::new("sqlite-metadata");
        let n = std::cell::Cell::new(0);
        stackport_stack::store::conformance::run_all(&|| {
            n.set(n.get() + 1);
            let path = dir.path().join(format!("metadata-{}.sqlite", n.get()));
            Box::new(SqliteMetadata::open(&path).expect("a fresh store opens"))
        });
    }
}
