//! An import: the rows stream through `COPY ... FROM STDIN` into a staging table of text, then
//! one statement merges them into the table, in the transaction that also updates the figures and
//! records the idempotency key. Typed columns are cast in the merge, after one scan refused
//! values they would not give back as sent (`crate::native`). Any failure rolls all of it back,
//! the staging table with it. A table without a primary key whose columns are all plain text
//! has nothing to merge, check or cast, so its rows are copied straight in.

use std::io::Write;

use postgres::{CopyInWriter, Transaction};
use stackport_model::{ColumnName, ProjectId};
use stackport_stack::backend::{ImportPlan, RowFeed, RowSink, TableStats};
use stackport_stack::{Error, Result};

use crate::error::pg;
use crate::names::{self, qualified};
use crate::native::{self, Layout, Stored};
use crate::schema;

const STAGE: &str = "_stackport_stage";

/// The staged rows' order; a user's column may be called `_seq`, never `_stackport…`.
const SEQ: &str = "_stackport_seq";

/// Writes each row as a line of COPY's text format.
struct CopySink<'w, 'c> {
    out: &'w mut CopyInWriter<'c>,
    width: usize,
    line: Vec<u8>,
    received: u64,
    bytes: i64,
}

/// Appends `value` escaped for COPY's text format: backslash, tab, newline and CR are the
/// bytes the format gives a meaning; every other byte stands for itself.
fn push_escaped(line: &mut Vec<u8>, value: &str) {
    for &b in value.as_bytes() {
        match b {
            b'\\' => line.extend_from_slice(b"\\\\"),
            b'\t' => line.extend_from_slice(b"\\t"),
            b'\n' => line.extend_from_slice(b"\\n"),
            b'\r' => line.extend_from_slice(b"\\r"),
            _ => line.push(b),
        }
    }
}

impl RowSink for CopySink<'_, '_> {
    fn insert(&mut self, values: &[&str], timestamp_micros: i64) -> Result<()> {
        if values.len() != self.width {
            return Err(Error::internal(
                "importing rows",
                format!(
                    "a row of {} values for {} columns",
                    values.len(),
                    self.width
                ),
            ));
        }
        self.line.clear();
        for v in values {
            push_escaped(&mut self.line, v);
            self.line.push(b'\t');
            self.bytes += v.len() as i64;
        }
        self.line
            .extend_from_slice(timestamp_micros.to_string().as_bytes());
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.received += 1;
        Ok(())
    }
}

/// `a + b + ...` of the byte lengths of the SQL texts `texts`.
fn size_expr(texts: &[String]) -> String {
    if texts.is_empty() {
        return "0".into();
    }
    texts
        .iter()
        .map(|t| format!("octet_length({t})"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The staged row `d` as the values to store, then its `_timestamp`.
fn values(stored: &[(&ColumnName, Stored)]) -> String {
    let mut out: Vec<String> = stored
        .iter()
        .map(|(c, s)| s.store_sql(&format!("d.{}", names::column(c))))
        .collect();
    out.push("d._timestamp".into());
    out.join(", ")
}

/// Runs the import in `tx`, which holds the project's lock.
pub(crate) fn run(
    tx: &mut Transaction<'_>,
    project: ProjectId,
    plan: &ImportPlan<'_>,
    feed: &mut RowFeed<'_>,
) -> Result<TableStats> {
    let tbl = plan.table.as_str();
    let target = qualified(project, tbl);
    let cols = names::columns(plan.columns);
    let keys = names::columns(plan.primary_key);
    for k in plan.primary_key {
        if !plan.columns.contains(k) {
            return Err(Error::invalid(
                "storage.tables.missingPrimaryKeyColumn",
                format!("the data has no column '{k}', which is part of the primary key"),
            ));
        }
    }
    let layout = Layout::read(tx, project, tbl)?;
    let stored: Vec<(&ColumnName, Stored)> = plan
        .columns
        .iter()
        .map(|c| Ok((c, layout.of(tbl, c)?)))
        .collect::<Result<_>>()?;
    let stats_table = schema::table(project, "_stackport_stats");
    if !plan.incremental {
        tx.batch_execute(&format!("DELETE FROM {target}"))
            .map_err(pg)?;
        tx.execute(
            &format!("UPDATE {stats_table} SET rows_count = 0, data_size = 0 WHERE tbl = $1"),
            &[&tbl],
        )
        .map_err(pg)?;
    }
    // Without a key and with every column stored as sent, the rows go straight into the
    // table, numbered in the order COPY reads them: staging them first costs a second write and
    // a sort of every row (at 10^6 rows of 8 columns, 1.5 s of COPY and 4.0 s of
    // `INSERT ... SELECT ... ORDER BY` where COPY into the table alone takes 3.1 s).
    let direct = keys.is_empty() && stored.iter().all(|(_, s)| s.is_plain_text());
    if !direct {
        let mut stage_ddl = format!("CREATE TEMP TABLE {STAGE} (");
        for c in &cols {
            stage_ddl.push_str(&format!("{c} TEXT NOT NULL, "));
        }
        stage_ddl.push_str(&format!(
            "_timestamp BIGINT NOT NULL, {SEQ} BIGINT GENERATED ALWAYS AS IDENTITY) ON COMMIT DROP"
        ));
        tx.batch_execute(&stage_ddl).map_err(pg)?;
    }

    let mut listed: Vec<&str> = cols.iter().map(String::as_str).collect();
    listed.push("_timestamp");
    let listed = listed.join(", ");
    let into = if direct { target.as_str() } else { STAGE };
    let mut writer = tx
        .copy_in(&format!("COPY {into} ({listed}) FROM STDIN"))
        .map_err(pg)?;
    let mut sink = CopySink {
        out: &mut writer,
        width: cols.len(),
        line: Vec::new(),
        received: 0,
        bytes: 0,
    };
    // On an error the writer is dropped unfinished, which aborts the COPY; the caller's
    // transaction then rolls back.
    feed(&mut sink)?;
    let (received, bytes) = (sink.received, sink.bytes);
    writer.finish().map_err(crate::error::import)?;
    if !direct {
        native::refuse_changed_values(tx, STAGE, SEQ, &stored)?;
    }

    let (rows_delta, size_delta) = if direct {
        (received as i64, bytes)
    } else if keys.is_empty() {
        tx.batch_execute(&format!(
            "INSERT INTO {target} ({listed}) SELECT {} FROM {STAGE} d ORDER BY {SEQ}",
            values(&stored)
        ))
        .map_err(crate::error::import)?;
        (received as i64, bytes)
    } else {
        upsert(tx, &target, &stored, plan.primary_key, &listed)?
    };

    if let Some(key) = plan.idempotency_key {
        // The key's primary key refuses a second import under it, also a racing one.
        let inserted = tx
            .execute(
                &format!(
                    "INSERT INTO {} (key, tbl, imported_rows, created) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (key) DO NOTHING",
                    schema::table(project, "_stackport_import_keys")
                ),
                &[&key, &tbl, &(received as i64), &plan.now_micros],
            )
            .map_err(pg)?;
        if inserted == 0 {
            return Err(Error::conflict(
                "storage.import.alreadyApplied",
                format!("an import with idempotency key '{key}' was already applied"),
            ));
        }
    }
    tx.execute(
        &format!(
            "UPDATE {stats_table} SET rows_count = rows_count + $2, \
             data_size = data_size + $3 WHERE tbl = $1"
        ),
        &[&tbl, &rows_delta, &size_delta],
    )
    .map_err(pg)?;
    schema::touch(tx, project, tbl, plan.now_micros, true)?;
    schema::read_stats(tx, project, tbl)
}

/// Merges the staged rows on the key: of rows repeating a key the last wins, taking the place
/// of the first (as if each had been upserted in turn). Returns the new rows and the change in
/// bytes, computed against the table before the merge.
fn upsert(
    tx: &mut Transaction<'_>,
    target: &str,
    stored: &[(&ColumnName, Stored)],
    key: &[ColumnName],
    listed: &str,
) -> Result<(i64, i64)> {
    let keys = names::columns(key);
    let part = keys.join(", ");
    let last = format!(
        "(SELECT * FROM (SELECT s.*, \
           row_number() OVER (PARTITION BY {part} ORDER BY {SEQ} DESC) AS _stackport_rn, \
           min({SEQ}) OVER (PARTITION BY {part}) AS _stackport_first FROM {STAGE} s) w \
         WHERE _stackport_rn = 1)"
    );
    let of = |k: &ColumnName| {
        stored
            .iter()
            .find(|(c, _)| *c == k)
            .map(|(_, s)| *s)
            .expect("the key's columns are checked to be staged")
    };
    // The stored key against the staged one cast as it will be stored: the same value, since
    // every staged value comes back as it was sent.
    let on = key
        .iter()
        .map(|k| {
            let c = names::column(k);
            format!("t.{c} = {}", of(k).store_sql(&format!("d.{c}")))
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    let staged: Vec<String> = stored
        .iter()
        .map(|(c, _)| format!("d.{}", names::column(c)))
        .collect();
    let old: Vec<String> = stored
        .iter()
        .map(|(c, s)| s.text_sql(&format!("t.{}", names::column(c))))
        .collect();
    let row = tx
        .query_one(
            &format!(
                "SELECT count(*) FILTER (WHERE t._stackport_row IS NULL), \
                 coalesce(sum(({new}) - coalesce(({old}), 0)), 0)::BIGINT \
                 FROM {last} d LEFT JOIN {target} t ON {on}",
                new = size_expr(&staged),
                old = size_expr(&old),
            ),
            &[],
        )
        .map_err(pg)?;
    let (rows, size): (i64, i64) = (row.get(0), row.get(1));
    let mut updates: Vec<String> = stored
        .iter()
        .map(|(c, _)| {
            let c = names::column(c);
            format!("{c} = excluded.{c}")
        })
        .collect();
    updates.push("_timestamp = excluded._timestamp".into());
    tx.batch_execute(&format!(
        "INSERT INTO {target} ({listed}) SELECT {} FROM {last} d \
         ORDER BY _stackport_first ON CONFLICT ({part}) DO UPDATE SET {}",
        values(stored),
        updates.join(", ")
    ))
    .map_err(crate::error::import)?;
    Ok((rows, size))
}

#[cfg(test)]
mod tests {
    use super::push_escaped;

    #[test]
    fn copy_text_escapes_only_its_own_bytes() {
        let mut line = Vec::new();
        push_escaped(&mut line, "a\\b\tc\nd\re \"q\" ,日本");
        assert_eq!(line, b"a\\\\b\\tc\\nd\\re \"q\" ,\xe6\x97\xa5\xe6\x9c\xac");
    }
}
