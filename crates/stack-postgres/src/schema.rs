//! A project's schema and its bookkeeping: `_stackport_stats` (the figures of each table) and
//! `_stackport_import_keys` (imports applied under an idempotency key), both updated in the
//! transaction that changes the rows, so they can never disagree with them.

use postgres::{GenericClient, Transaction};
use stackport_model::ProjectId;
use stackport_stack::backend::{quote, TableStats, BOOKKEEPING_PREFIX};
use stackport_stack::{Error, Result};

use crate::error::pg;
use crate::names::schema;

/// Creates the schema and its bookkeeping when missing. The caller holds the project's lock,
/// so two first writes cannot race on `IF NOT EXISTS`.
pub(crate) fn ensure(tx: &mut Transaction<'_>, project: ProjectId) -> Result<()> {
    let s = quote(&schema(project));
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {s};
         CREATE TABLE IF NOT EXISTS {s}._stackport_stats (
            tbl TEXT PRIMARY KEY,
            rows_count BIGINT NOT NULL DEFAULT 0,
            data_size BIGINT NOT NULL DEFAULT 0,
            last_change BIGINT NOT NULL,
            last_import BIGINT,
            change_seq BIGINT NOT NULL DEFAULT 0);
         CREATE TABLE IF NOT EXISTS {s}._stackport_import_keys (
            key TEXT PRIMARY KEY,
            tbl TEXT NOT NULL,
            imported_rows BIGINT NOT NULL,
            created BIGINT NOT NULL);"
    ))
    .map_err(pg)
}

/// Takes the project's write lock until the transaction ends: one writer per project (the
/// statistics are computed from the rows before a merge), none across projects.
pub(crate) fn lock(tx: &mut Transaction<'_>, project: ProjectId) -> Result<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0::bigint))",
        &[&format!("stackport.project.{}", project.0)],
    )
    .map_err(pg)?;
    Ok(())
}

/// Whether the project's schema exists: reads of a project never written give nothing.
pub(crate) fn exists(client: &mut impl GenericClient, project: ProjectId) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[&schema(project)],
        )
        .map_err(pg)?;
    Ok(row.get(0))
}

/// The bookkeeping table `name` of the project, quoted.
pub(crate) fn table(project: ProjectId, name: &str) -> String {
    format!("{}.{name}", quote(&schema(project)))
}

/// Records a change at `now`; an import's also as the last import.
pub(crate) fn touch(
    tx: &mut Transaction<'_>,
    project: ProjectId,
    tbl: &str,
    now: i64,
    import: bool,
) -> Result<()> {
    tx.execute(
        &format!(
            "UPDATE {} SET last_change = $2, change_seq = change_seq + 1,
             last_import = CASE WHEN $3 THEN $2 ELSE last_import END WHERE tbl = $1",
            table(project, "_stackport_stats")
        ),
        &[&tbl, &now, &import],
    )
    .map_err(pg)?;
    Ok(())
}

const STATS_COLUMNS: &str = "rows_count, data_size, last_change, last_import, change_seq";

fn stats_of(r: &postgres::Row, first: usize) -> TableStats {
    TableStats {
        rows_count: r.get::<_, i64>(first) as u64,
        data_size_bytes: r.get::<_, i64>(first + 1) as u64,
        last_change_micros: r.get(first + 2),
        last_import_micros: r.get(first + 3),
        change_seq: r.get::<_, i64>(first + 4) as u64,
    }
}

/// The figures of `tbl`; an error when the table has none (it does not exist).
pub(crate) fn read_stats(
    client: &mut impl GenericClient,
    project: ProjectId,
    tbl: &str,
) -> Result<TableStats> {
    let missing = || {
        Error::internal(
            "reading table statistics",
            format!("no statistics for {tbl}"),
        )
    };
    if !exists(client, project)? {
        return Err(missing());
    }
    let row = client
        .query_opt(
            &format!(
                "SELECT {STATS_COLUMNS} FROM {} WHERE tbl = $1",
                table(project, "_stackport_stats")
            ),
            &[&tbl],
        )
        .map_err(pg)?;
    row.map(|r| stats_of(&r, 0)).ok_or_else(missing)
}

/// The figures of every table of the project.
pub(crate) fn read_all_stats(
    client: &mut impl GenericClient,
    project: ProjectId,
) -> Result<Vec<(String, TableStats)>> {
    if !exists(client, project)? {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &format!(
                "SELECT tbl, {STATS_COLUMNS} FROM {}",
                table(project, "_stackport_stats")
            ),
            &[],
        )
        .map_err(pg)?;
    Ok(rows.iter().map(|r| (r.get(0), stats_of(r, 1))).collect())
}

/// Whether `name` is one of the backend's own tables.
pub(crate) fn is_bookkeeping(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with(BOOKKEEPING_PREFIX)
}
