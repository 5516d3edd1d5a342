//! A throw-away SQL workspace for one job, in the project's backend: for the embedded backend a
//! SQLite database file of its own. It holds copies of the input tables; nothing a script does
//! there reaches Storage until the output mapping writes it back. The file is deleted when the
//! workspace is dropped, whether the job succeeded or not.

use std::path::{Path, PathBuf};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::Connection;

use crate::backend::quote;
use crate::error::{Error, Result};

pub(crate) struct Workspace {
    conn: Connection,
    path: PathBuf,
}

impl Workspace {
    /// A fresh, empty workspace at `path` (a leftover file of a crashed job is replaced), that
    /// grows to `max_bytes` at most (`quotas.workspaceBytes`): past it, writes fail with
    /// SQLite's "database or disk is full".
    pub fn create(path: &Path, max_bytes: u64) -> Result<Workspace> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        remove_files(path);
        let conn = Connection::open(path)?;
        // Scratch data: nothing here needs to survive a crash, so skip the journal and fsyncs.
        conn.pragma_update(None, "journal_mode", "OFF")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.pragma_update(None, "temp_store", "FILE")?;
        // A misspelt "column" must be an error, not SQLite's legacy fallback to a string literal.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
        // Scripts are a project's code: they may reach this file and nothing else. No other
        // database can be attached (VACUUM INTO attaches its target, so it is refused too),
        // and the schema cannot be written around SQLite's checks.
        conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_ATTACHED, 0)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA,
            false,
        )?;
        // A script could fill the disk with `WITH RECURSIVE … INSERT`; the file stops at the
        // project's workspace quota, and scripts may read that bound but not move it.
        let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let pages = (max_bytes / page_size.max(512) as u64).clamp(1, i64::MAX as u64);
        conn.pragma_update(None, "max_page_count", pages as i64)?;
        conn.authorizer(Some(|ctx: AuthContext<'_>| match ctx.action {
            AuthAction::Pragma {
                pragma_name,
                pragma_value: Some(_),
            } if pragma_name.eq_ignore_ascii_case("max_page_count")
                || pragma_name.eq_ignore_ascii_case("page_size") =>
            {
                Authorization::Deny
            }
            _ => Authorization::Allow,
        }))?;
        Ok(Workspace {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The connection scripts run on.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Creates `name` with text columns and fills it from `fill`, which gets an inserter.
    pub fn load_table(
        &self,
        name: &str,
        columns: &[&str],
        fill: impl FnOnce(&mut dyn FnMut(&[&[u8]]) -> Result<()>) -> Result<u64>,
    ) -> Result<u64> {
        let cols: Vec<String> = columns
            .iter()
            .map(|c| format!("{} TEXT", quote(c)))
            .collect();
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE {} ({})",
                quote(name),
                cols.join(", ")
            ))
            .map_err(|e| {
                Error::invalid(
                    "jobs.inputMapping.invalid",
                    format!("input mapping: cannot create table '{name}' in the workspace: {e}"),
                )
            })?;
        let tx = self.conn.unchecked_transaction()?;
        let marks = vec!["?"; columns.len()].join(", ");
        let n = {
            let mut insert =
                tx.prepare(&format!("INSERT INTO {} VALUES ({marks})", quote(name)))?;
            fill(&mut |values: &[&[u8]]| {
                for (i, v) in values.iter().enumerate() {
                    let text = std::str::from_utf8(v)
                        .map_err(|e| Error::internal("loading an input table", e))?;
                    insert.raw_bind_parameter(i + 1, text)?;
                }
                insert.raw_execute()?;
                Ok(())
            })?
        };
        tx.commit()?;
        Ok(n)
    }

    /// The columns of a table a script made, or none if there is no such table.
    pub fn columns_of(&self, name: &str) -> Result<Option<Vec<String>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
        let cols = stmt
            .query_map([name], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(if cols.is_empty() { None } else { Some(cols) })
    }

    /// Hands every row of `name` to `visit` as text (NULL as the empty string).
    pub fn read_table(
        &self,
        name: &str,
        columns: &[String],
        visit: &mut dyn FnMut(&[&str]) -> Result<()>,
    ) -> Result<u64> {
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("COALESCE(CAST({} AS TEXT), '')", quote(c)))
            .collect();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM {}",
            select.join(", "),
            quote(name)
        ))?;
        let mut rows = stmt.query([])?;
        let mut values: Vec<String> = Vec::with_capacity(columns.len());
        let mut n = 0;
        while let Some(row) = rows.next()? {
            values.clear();
            for i in 0..columns.len() {
                values.push(row.get::<_, String>(i)?);
            }
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            visit(&refs)?;
            n += 1;
        }
        Ok(n)
    }
}

fn remove_files(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        remove_files(&self.path);
    }
}
