//! The embedded backend: one SQLite database per project, one SQL table per Storage table, each
//! with an integer `_timestamp` column, and a stats table updated in the same transactions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use stackport_model::{
    api::{ColumnDefinition, ColumnFilter, FilterOperator},
    BackendName, ColumnName, ProjectId,
};

use stackport_stack::backend::{
    quote, AppliedImport, ExportQuery, ImportPlan, PhysicalName, RowFeed, RowSink, RowVisitor,
    TableBackend, TableStats, BOOKKEEPING_PREFIX,
};
use stackport_stack::{Error, Result};

const STATS_DDL: &str = "CREATE TABLE IF NOT EXISTS _stackport_stats (
    tbl TEXT PRIMARY KEY,
    rows_count INTEGER NOT NULL DEFAULT 0,
    data_size INTEGER NOT NULL DEFAULT 0,
    last_change INTEGER NOT NULL,
    last_import INTEGER,
    change_seq INTEGER NOT NULL DEFAULT 0
)";

const KEYS_DDL: &str = "CREATE TABLE IF NOT EXISTS _stackport_import_keys (
    key TEXT PRIMARY KEY,
    tbl TEXT NOT NULL,
    imported_rows INTEGER NOT NULL,
    created INTEGER NOT NULL
)";

/// The row key column; `_stackport…` names are kept from users (see `ColumnName`).
const ROW_KEY: &str = "\"_stackport_row\"";

/// Tables in SQLite files under one directory.
pub struct SqliteBackend {
    root: PathBuf,
    /// One writer per project at a time: SQLite allows one anyway, and waiting on a mutex is
    /// fairer than busy-looping on the file lock during a long import.
    writers: Mutex<HashMap<ProjectId, Arc<Mutex<()>>>>,
}

/// The sum of the byte lengths of `columns`, as SQL.
fn size_expr(columns: &[ColumnName]) -> String {
    if columns.is_empty() {
        return "0".into();
    }
    columns
        .iter()
        .map(|c| format!("length(CAST({} AS BLOB))", quote(c.as_str())))
        .collect::<Vec<_>>()
        .join(" + ")
}

impl SqliteBackend {
    /// The name projects record.
    pub const NAME: BackendName = BackendName::SQLITE;

    /// Stores project databases under `root`.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(SqliteBackend {
            root,
            writers: Mutex::new(HashMap::new()),
        })
    }

    fn path(&self, project: ProjectId) -> PathBuf {
        self.root.join(format!("{project}.sqlite"))
    }

    fn open(&self, project: ProjectId) -> Result<Connection> {
        open_db(&self.path(project))
    }

    fn writer_lock(&self, project: ProjectId) -> Arc<Mutex<()>> {
        let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        writers.entry(project).or_default().clone()
    }

    /// Runs `f` in a write transaction on the project's database, committing if it succeeds.
    fn write<T>(
        &self,
        project: ProjectId,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let lock = self.writer_lock(project);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut conn = self.open(project)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn open_db(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(60))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: an acknowledged import survives a power cut, which resumable migrations rely on.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -16_000)?;
    conn.execute_batch(STATS_DDL)?;
    conn.execute_batch(KEYS_DDL)?;
    Ok(conn)
}

/// Records a change at `now`; an import's also as the last import.
fn touch(tx: &rusqlite::Transaction<'_>, table: &str, now: i64, import: bool) -> Result<()> {
    tx.execute(
        "UPDATE _stackport_stats SET last_change = ?2, change_seq = change_seq + 1,
         last_import = CASE WHEN ?3 THEN ?2 ELSE last_import END WHERE tbl = ?1",
        params![table, now, import],
    )?;
    Ok(())
}

fn read_stats(conn: &Connection, table: &str) -> Result<TableStats> {
    conn.query_row(
        "SELECT rows_count, data_size, last_change, last_import, change_seq \
         FROM _stackport_stats WHERE tbl = ?1",
        [table],
        |r| {
            Ok(TableStats {
                rows_count: r.get::<_, i64>(0)? as u64,
                data_size_bytes: r.get::<_, i64>(1)? as u64,
                last_change_micros: r.get(2)?,
                last_import_micros: r.get(3)?,
                change_seq: r.get::<_, i64>(4)? as u64,
            })
        },
    )
    .optional()?
    .ok_or_else(|| {
        Error::internal(
            "reading table statistics",
            format!("no statistics for {table}"),
        )
    })
}

fn where_clause(query: &ExportQuery<'_>, args: &mut Vec<rusqlite::types::Value>) -> String {
    let mut parts = Vec::new();
    for ColumnFilter {
        column,
        operator,
        values,
    } in query.filters
    {
        if values.is_empty() {
            // `IN ()` matches nothing and `NOT IN ()` everything.
            parts.push(if *operator == FilterOperator::Eq {
                "0".into()
            } else {
                "1".into()
            });
            continue;
        }
        let marks = vec!["?"; values.len()].join(",");
        let op = if *operator == FilterOperator::Eq {
            "IN"
        } else {
            "NOT IN"
        };
        parts.push(format!("{} {op} ({marks})", quote(column.as_str())));
        args.extend(
            values
                .iter()
                .map(|v| rusqlite::types::Value::Text(v.clone())),
        );
    }
    if let Some(since) = query.changed_since {
        parts.push("_timestamp >= ?".into());
        args.push(since.into());
    }
    if let Some(until) = query.changed_until {
        parts.push("_timestamp < ?".into());
        args.push(until.into());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    }
}

struct SqliteSink<'t> {
    insert: rusqlite::Statement<'t>,
    /// For tables with a key: the current size of the incoming columns of the row with that key.
    lookup: Option<rusqlite::Statement<'t>>,
    key_positions: Vec<usize>,
    rows_delta: i64,
    size_delta: i64,
    key_values: Vec<String>,
    /// Rows received, upserted ones included.
    received: u64,
}

impl RowSink for SqliteSink<'_> {
    fn insert(&mut self, values: &[&str], timestamp_micros: i64) -> Result<()> {
        let size: i64 = values.iter().map(|v| v.len() as i64).sum();
        self.received += 1;
        if let Some(lookup) = self.lookup.as_mut() {
            self.key_values.clear();
            self.key_values
                .extend(self.key_positions.iter().map(|&i| values[i].to_string()));
            let old: Option<i64> = lookup
                .query_row(rusqlite::params_from_iter(self.key_values.iter()), |r| {
                    r.get(0)
                })
                .optional()?;
            match old {
                Some(old) => self.size_delta += size - old,
                None => {
                    self.rows_delta += 1;
                    self.size_delta += size;
                }
            }
        } else {
            self.rows_delta += 1;
            self.size_delta += size;
        }
        let mut i = 0;
        for v in values {
            i += 1;
            self.insert.raw_bind_parameter(i, *v)?;
        }
        self.insert.raw_bind_parameter(i + 1, timestamp_micros)?;
        self.insert.raw_execute()?;
        Ok(())
    }
}

impl TableBackend for SqliteBackend {
    fn name(&self) -> BackendName {
        Self::NAME
    }

    /// Every column is text, typed or not: values are kept as they were given, which the stack's
    /// checks already made fit the definition.
    fn create_table(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        columns: &[ColumnName],
        _definitions: Option<&[ColumnDefinition]>,
        primary_key: &[ColumnName],
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        self.write(project, |tx| {
            // An explicit row key: user columns may be called rowid, oid or _rowid_, which would
            // hide SQLite's own, and export order depends on it.
            let mut ddl = format!(
                "CREATE TABLE {} ({ROW_KEY} INTEGER PRIMARY KEY, ",
                quote(table)
            );
            for c in columns {
                ddl.push_str(&format!("{} TEXT NOT NULL DEFAULT '', ", quote(c.as_str())));
            }
            ddl.push_str("_timestamp INTEGER NOT NULL)");
            tx.execute_batch(&ddl)?;
            create_key_index(tx, table, primary_key)?;
            tx.execute(
                "INSERT INTO _stackport_stats (tbl, last_change) VALUES (?1, ?2)",
                params![table, now_micros],
            )?;
            Ok(())
        })
    }

    fn drop_table(&self, project: ProjectId, table: &PhysicalName) -> Result<()> {
        self.write(project, |tx| drop_in(tx, table.as_str()))
    }

    fn add_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
        _definition: Option<&ColumnDefinition>,
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        self.write(project, |tx| {
            tx.execute_batch(&format!(
                "ALTER TABLE {} ADD COLUMN {} TEXT NOT NULL DEFAULT ''",
                quote(table),
                quote(column.as_str())
            ))?;
            touch(tx, table, now_micros, false)
        })
    }

    fn drop_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        self.write(project, |tx| {
            let removed: i64 = tx.query_row(
                &format!(
                    "SELECT total(length(CAST({c} AS BLOB))) FROM {t}",
                    c = quote(column.as_str()),
                    t = quote(table)
                ),
                [],
                |r| r.get::<_, f64>(0).map(|v| v as i64),
            )?;
            tx.execute_batch(&format!(
                "ALTER TABLE {} DROP COLUMN {}",
                quote(table),
                quote(column.as_str())
            ))?;
            tx.execute(
                "UPDATE _stackport_stats SET data_size = data_size - ?2 WHERE tbl = ?1",
                params![table, removed],
            )?;
            touch(tx, table, now_micros, false)
        })
    }

    fn set_primary_key(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        primary_key: &[ColumnName],
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        self.write(project, |tx| {
            tx.execute_batch(&format!(
                "DROP INDEX IF EXISTS {}",
                quote(&format!("{table}_pk"))
            ))?;
            if !primary_key.is_empty() {
                let cols = primary_key
                    .iter()
                    .map(|c| quote(c.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let dup: Option<String> = tx
                    .query_row(
                        &format!(
                            "SELECT {shown} FROM {t} GROUP BY {cols} HAVING count(*) > 1 LIMIT 1",
                            shown = primary_key
                                .iter()
                                .map(|c| quote(c.as_str()))
                                .collect::<Vec<_>>()
                                .join(" || ', ' || "),
                            t = quote(table)
                        ),
                        [],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(dup) = dup {
                    return Err(Error::invalid(
                        "storage.tables.duplicatePrimaryKey",
                        format!(
                            "rows repeat the key ({dup}) in column(s) {}; \
                             remove the duplicates first",
                            primary_key
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                create_key_index(tx, table, primary_key)?;
            }
            touch(tx, table, now_micros, false)
        })
    }

    fn import(
        &self,
        project: ProjectId,
        plan: &ImportPlan<'_>,
        feed: &mut RowFeed<'_>,
    ) -> Result<TableStats> {
        self.write(project, |tx| {
            let t = quote(plan.table.as_str());
            if !plan.incremental {
                tx.execute_batch(&format!("DELETE FROM {t}"))?;
                tx.execute(
                    "UPDATE _stackport_stats SET rows_count = 0, data_size = 0 WHERE tbl = ?1",
                    [plan.table.as_str()],
                )?;
            }
            let cols: Vec<String> = plan.columns.iter().map(|c| quote(c.as_str())).collect();
            let marks = vec!["?"; cols.len() + 1].join(", ");
            let mut sql = format!(
                "INSERT INTO {t} ({}{}_timestamp) VALUES ({marks})",
                cols.join(", "),
                if cols.is_empty() { "" } else { ", " }
            );
            let mut lookup = None;
            let mut key_positions = Vec::new();
            if !plan.primary_key.is_empty() {
                let keys: Vec<String> =
                    plan.primary_key.iter().map(|c| quote(c.as_str())).collect();
                let mut updates: Vec<String> =
                    cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
                updates.push("_timestamp = excluded._timestamp".into());
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    keys.join(", "),
                    updates.join(", ")
                ));
                for k in plan.primary_key {
                    let pos = plan.columns.iter().position(|c| c == k).ok_or_else(|| {
                        Error::invalid(
                            "storage.tables.missingPrimaryKeyColumn",
                            format!(
                                "the data has no column '{k}', which is part of the primary key"
                            ),
                        )
                    })?;
                    key_positions.push(pos);
                }
                let cond = keys
                    .iter()
                    .map(|k| format!("{k} = ?"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                lookup = Some(tx.prepare(&format!(
                    "SELECT {} FROM {t} WHERE {cond}",
                    size_expr(plan.columns)
                ))?);
            }
            let mut sink = SqliteSink {
                insert: tx.prepare(&sql)?,
                lookup,
                key_positions,
                rows_delta: 0,
                size_delta: 0,
                key_values: Vec::new(),
                received: 0,
            };
            feed(&mut sink)?;
            if let Some(key) = plan.idempotency_key {
                // The primary key refuses a second import under the same key, also a racing one.
                tx.execute(
                    "INSERT INTO _stackport_import_keys (key, tbl, imported_rows, created) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        key,
                        plan.table.as_str(),
                        sink.received as i64,
                        plan.now_micros
                    ],
                )
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        Error::conflict(
                            "storage.import.alreadyApplied",
                            format!("an import with idempotency key '{key}' was already applied"),
                        )
                    }
                    other => other.into(),
                })?;
            }
            tx.execute(
                "UPDATE _stackport_stats SET rows_count = rows_count + ?2, \
                 data_size = data_size + ?3 WHERE tbl = ?1",
                params![plan.table.as_str(), sink.rows_delta, sink.size_delta],
            )?;
            drop(sink);
            touch(tx, plan.table.as_str(), plan.now_micros, true)?;
            read_stats(tx, plan.table.as_str())
        })
    }

    fn export(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
        visit: &mut RowVisitor<'_>,
    ) -> Result<u64> {
        let table = table.as_str();
        let conn = self.open(project)?;
        let mut args = Vec::new();
        let mut cols: Vec<String> = query.columns.iter().map(|c| quote(c.as_str())).collect();
        cols.push("_timestamp".into());
        let mut sql = format!("SELECT {} FROM {}", cols.join(", "), quote(table));
        sql.push_str(&where_clause(query, &mut args));
        sql.push_str(&format!(" ORDER BY {ROW_KEY}"));
        if let Some(limit) = query.limit {
            // SQLite's integers are i64: a larger limit (a client may send any u64) means all.
            let limit = limit.min(i64::MAX as u64);
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        // A read transaction gives the export one consistent view while imports go on.
        conn.execute_batch("BEGIN")?;
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let n = query.columns.len();
        let mut count = 0u64;
        while let Some(row) = rows.next()? {
            let mut values: Vec<&[u8]> = Vec::with_capacity(n);
            for i in 0..n {
                values.push(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Text(t) => t,
                    rusqlite::types::ValueRef::Blob(b) => b,
                    _ => b"",
                });
            }
            let ts: i64 = row.get(n)?;
            visit(&values, ts)?;
            count += 1;
        }
        Ok(count)
    }

    fn count(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
    ) -> Result<u64> {
        let table = table.as_str();
        let conn = self.open(project)?;
        let mut args = Vec::new();
        let sql = format!(
            "SELECT count(*) FROM {}{}",
            quote(table),
            where_clause(query, &mut args)
        );
        let n: i64 = conn.query_row(&sql, rusqlite::params_from_iter(args), |r| r.get(0))?;
        Ok(query.limit.map_or(n as u64, |l| l.min(n as u64)))
    }

    fn applied_import(&self, project: ProjectId, key: &str) -> Result<Option<AppliedImport>> {
        let conn = self.open(project)?;
        Ok(conn
            .query_row(
                "SELECT tbl, imported_rows FROM _stackport_import_keys WHERE key = ?1",
                [key],
                |r| {
                    Ok(AppliedImport {
                        table: r.get(0)?,
                        imported_rows: r.get::<_, i64>(1)? as u64,
                    })
                },
            )
            .optional()?)
    }

    fn stats(&self, project: ProjectId, table: &PhysicalName) -> Result<TableStats> {
        let table = table.as_str();
        read_stats(&self.open(project)?, table)
    }

    fn stats_all(&self, project: ProjectId) -> Result<HashMap<String, TableStats>> {
        if !self.path(project).exists() {
            return Ok(HashMap::new());
        }
        let conn = self.open(project)?;
        let mut stmt = conn.prepare(
            "SELECT tbl, rows_count, data_size, last_change, last_import, change_seq \
             FROM _stackport_stats",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                TableStats {
                    rows_count: r.get::<_, i64>(1)? as u64,
                    data_size_bytes: r.get::<_, i64>(2)? as u64,
                    last_change_micros: r.get(3)?,
                    last_import_micros: r.get(4)?,
                    change_seq: r.get::<_, i64>(5)? as u64,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<HashMap<_, _>>>()?)
    }

    fn list_physical(&self, project: ProjectId) -> Result<Vec<String>> {
        if !self.path(project).exists() {
            return Ok(Vec::new());
        }
        let conn = self.open(project)?;
        let mut stmt = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
        let names = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for name in names {
            let name = name?;
            if !is_bookkeeping(&name) {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    fn drop_physical(&self, project: ProjectId, name: &str) -> Result<()> {
        if is_bookkeeping(name) {
            return Err(Error::internal(
                "dropping a physical table",
                format!("'{name}' is the backend's own bookkeeping, not a table's data"),
            ));
        }
        if !self.path(project).exists() {
            return Ok(());
        }
        self.write(project, |tx| drop_in(tx, name))
    }

    fn drop_project(&self, project: ProjectId) -> Result<()> {
        let lock = self.writer_lock(project);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let path = self.path(project);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Drops `table` (its key index goes with it) and its figures.
fn drop_in(tx: &rusqlite::Transaction<'_>, table: &str) -> Result<()> {
    tx.execute_batch(&format!("DROP TABLE IF EXISTS {}", quote(table)))?;
    tx.execute("DELETE FROM _stackport_stats WHERE tbl = ?1", [table])?;
    Ok(())
}

/// Whether `name` is one of the backend's own tables (`_stackport_stats`, ...) or SQLite's.
fn is_bookkeeping(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with(BOOKKEEPING_PREFIX) || name.starts_with("sqlite_")
}

fn create_key_index(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    primary_key: &[ColumnName],
) -> Result<()> {
    if primary_key.is_empty() {
        return Ok(());
    }
    let cols = primary_key
        .iter()
        .map(|c| quote(c.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    tx.execute_batch(&format!(
        "CREATE UNIQUE INDEX {} ON {} ({cols})",
        quote(&format!("{table}_pk")),
        quote(table)
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_conformance_suite() {
        let dir = stackport_testkit::TempDir::new("sqlite-backend");
        let backend = SqliteBackend::new(dir.path()).unwrap();
        stackport_stack::backend::conformance::run_all(&backend);
    }
}
