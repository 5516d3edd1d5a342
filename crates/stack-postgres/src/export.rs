//! Reading rows: filters and times as bound parameters, rows fetched through a portal a batch
//! at a time so an export of any size holds one batch in memory. Typed columns are read, and
//! compared by filters, as the text they were imported as (`crate::native`).

use postgres::types::ToSql;
use postgres::{Client, IsolationLevel};
use stackport_model::{api::FilterOperator, ProjectId};
use stackport_stack::backend::{ExportQuery, RowVisitor};
use stackport_stack::Result;

use crate::error::pg;
use crate::names::{self, qualified};
use crate::native::Layout;

/// Rows fetched per round trip.
const BATCH: i32 = 1_000;

pub(crate) type Params = Vec<Box<dyn ToSql + Sync>>;

/// The `WHERE` clause of `query` (empty when it has no conditions), its values pushed onto
/// `params` and named `$n` in their order.
pub(crate) fn where_clause(
    layout: &Layout,
    table: &str,
    query: &ExportQuery<'_>,
    params: &mut Params,
) -> Result<String> {
    let mut parts = Vec::new();
    for f in query.filters {
        params.push(Box::new(f.values.clone()));
        // Compared as the text imported, as on every backend.
        let col = layout
            .of(table, &f.column)?
            .text_sql(&names::column(&f.column));
        // An empty list: `= ANY` matches nothing and `<> ALL` everything, as `IN ()` would.
        parts.push(if f.operator == FilterOperator::Eq {
            format!("{col} = ANY(${})", params.len())
        } else {
            format!("{col} <> ALL(${})", params.len())
        });
    }
    if let Some(since) = query.changed_since {
        params.push(Box::new(since));
        parts.push(format!("_timestamp >= ${}", params.len()));
    }
    if let Some(until) = query.changed_until {
        params.push(Box::new(until));
        parts.push(format!("_timestamp < ${}", params.len()));
    }
    Ok(if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    })
}

pub(crate) fn refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref()).collect()
}

/// Streams the matching rows to `visit` in storage order.
pub(crate) fn export(
    client: &mut Client,
    project: ProjectId,
    table: &str,
    query: &ExportQuery<'_>,
    visit: &mut RowVisitor<'_>,
) -> Result<u64> {
    // One snapshot for the whole export while imports go on; a portal lives in a transaction.
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(pg)?;
    let layout = Layout::read(&mut tx, project, table)?;
    let mut params = Params::new();
    let mut cols = layout.texts(table, query.columns)?;
    cols.push("_timestamp".into());
    let mut sql = format!(
        "SELECT {} FROM {}",
        cols.join(", "),
        qualified(project, table)
    );
    sql.push_str(&where_clause(&layout, table, query, &mut params)?);
    sql.push_str(" ORDER BY _stackport_row");
    if let Some(limit) = query.limit {
        // A client may send any u64; beyond a BIGINT it means all rows.
        params.push(Box::new(limit.min(i64::MAX as u64) as i64));
        sql.push_str(&format!(" LIMIT ${}", params.len()));
    }
    let portal = tx.bind(&sql, &refs(&params)).map_err(pg)?;
    let n = query.columns.len();
    let mut count = 0u64;
    loop {
        let rows = tx.query_portal(&portal, BATCH).map_err(pg)?;
        if rows.is_empty() {
            break;
        }
        let mut values: Vec<&[u8]> = Vec::with_capacity(n);
        for row in &rows {
            values.clear();
            for i in 0..n {
                values.push(row.get::<_, &str>(i).as_bytes());
            }
            visit(&values, row.get(n))?;
            count += 1;
        }
    }
    tx.commit().map_err(pg)?;
    Ok(count)
}

/// Counts the matching rows, at most `query.limit`.
pub(crate) fn count(
    client: &mut Client,
    project: ProjectId,
    table: &str,
    query: &ExportQuery<'_>,
) -> Result<u64> {
    let layout = Layout::read(client, project, table)?;
    let mut params = Params::new();
    let sql = format!(
        "SELECT count(*) FROM {}{}",
        qualified(project, table),
        where_clause(&layout, table, query, &mut params)?
    );
    let n: i64 = client.query_one(&sql, &refs(&params)).map_err(pg)?.get(0);
    Ok(query.limit.map_or(n as u64, |l| l.min(n as u64)))
}
