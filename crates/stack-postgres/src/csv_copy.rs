//! The stack's CSV straight from the server: `COPY (SELECT ...) TO STDOUT` in CSV with every
//! value quoted gives exactly the bytes of `CsvWriter` (values in `"`, quotes doubled, `\n`
//! after each record), so the rows are never decoded on this side. Typed columns are rendered
//! in the query as the text they were imported as (`crate::native`).
//!
//! COPY takes no bound parameters, so the query's values are bound into settings local to the
//! export's transaction (`set_config(..., true)`) and the query reads them back, each once, in a
//! scalar subquery: the values still never become SQL text.

use std::io::{Read, Write};

use postgres::types::ToSql;
use postgres::{Client, IsolationLevel};
use stackport_model::{api::FilterOperator, ProjectId};
use stackport_stack::backend::ExportQuery;
use stackport_stack::Result;

use crate::error::pg;
use crate::names::{self, qualified};
use crate::native::Layout;

/// Binds `value` (of SQL type `ty`) as the transaction's setting `stackport.q<n>` and returns
/// the SQL that reads it back as `ty`.
fn bind(
    tx: &mut postgres::Transaction<'_>,
    n: &mut usize,
    value: &(dyn ToSql + Sync),
    ty: &str,
) -> Result<String> {
    *n += 1;
    let name = format!("stackport.q{n}");
    tx.execute(
        &format!("SELECT set_config($1, $2::{ty}::text, true)"),
        &[&name, value],
    )
    .map_err(pg)?;
    Ok(format!("(SELECT current_setting('{name}')::{ty})"))
}

/// Counts records in the stack's CSV: a `\n` outside quotes ends one (a doubled quote toggles
/// twice, so it changes nothing).
struct RecordCounter {
    quoted: bool,
    records: u64,
}

impl RecordCounter {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.records += 1,
                _ => {}
            }
        }
    }
}

/// Writes the header and the matching rows to `out`; returns the row count.
pub(crate) fn write(
    client: &mut Client,
    project: ProjectId,
    table: &str,
    query: &ExportQuery<'_>,
    out: &mut dyn Write,
) -> Result<u64> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(pg)?;
    let layout = Layout::read(&mut tx, project, table)?;
    let mut n = 0;
    let mut parts = Vec::new();
    for f in query.filters {
        // `ARRAY(SELECT ...)`: an array computed once, where `ANY((SELECT ...))` would read
        // the subquery as a set of arrays.
        let values = format!(
            "ARRAY(SELECT unnest({}))",
            bind(&mut tx, &mut n, &f.values, "text[]")?
        );
        let col = layout
            .of(table, &f.column)?
            .text_sql(&names::column(&f.column));
        parts.push(if f.operator == FilterOperator::Eq {
            format!("{col} = ANY({values})")
        } else {
            format!("{col} <> ALL({values})")
        });
    }
    if let Some(since) = query.changed_since {
        parts.push(format!(
            "_timestamp >= {}",
            bind(&mut tx, &mut n, &since, "bigint")?
        ));
    }
    if let Some(until) = query.changed_until {
        parts.push(format!(
            "_timestamp < {}",
            bind(&mut tx, &mut n, &until, "bigint")?
        ));
    }
    let cols = layout.texts(table, query.columns)?;
    // No columns still gives one (empty) record per row, as the stack's writer does.
    let select = if cols.is_empty() {
        "''".to_string()
    } else {
        cols.join(", ")
    };
    let mut sql = format!("SELECT {select} FROM {}", qualified(project, table));
    if !parts.is_empty() {
        sql.push_str(&format!(" WHERE {}", parts.join(" AND ")));
    }
    sql.push_str(" ORDER BY _stackport_row");
    if let Some(limit) = query.limit {
        let limit = limit.min(i64::MAX as u64) as i64;
        sql.push_str(&format!(
            " LIMIT {}",
            bind(&mut tx, &mut n, &limit, "bigint")?
        ));
    }

    let header: Vec<String> = query
        .columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str().replace('"', "\"\"")))
        .collect();
    out.write_all(header.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let mut reader = tx
        .copy_out(&format!(
            "COPY ({sql}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"
        ))
        .map_err(pg)?;
    let mut counter = RecordCounter {
        quoted: false,
        records: 0,
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let got = reader.read(&mut buf)?;
        if got == 0 {
            break;
        }
        counter.feed(&buf[..got]);
        out.write_all(&buf[..got])?;
    }
    drop(reader);
    tx.commit().map_err(pg)?;
    Ok(counter.records)
}

#[cfg(test)]
mod tests {
    use super::RecordCounter;

    #[test]
    fn records_end_at_newlines_outside_quotes() {
        let mut c = RecordCounter {
            quoted: false,
            records: 0,
        };
        c.feed(b"\"a\"\"\n\",\"x\"\n\"multi");
        c.feed(b"\nline\"\n\"\"\n");
        assert_eq!(c.records, 3);
    }
}
