//! Loading a project's table into an account's schema on the server itself: the rows go from
//! `p<project>.<table>` to `<schema>.<destination>` in one transaction, never through the stack.
//!
//! The host's own user does the copy (the account cannot read the project's schema), so it
//! must never run code of the account's: a table it creates is new (no triggers, no rules)
//! and handed to the account afterwards; rows for a table the account already had go in
//! under the account's role (`SET LOCAL ROLE`), from a staging table the account owns, so a
//! trigger the account put on its table runs with the account's rights alone.

use postgres::Transaction;
use stackport_stack::backend::{quote, SqlAccount, TableLoad};
use stackport_stack::{Error, Result};

use crate::error::pg;
use crate::export::{refs, where_clause, Params};
use crate::names::{self, qualified};

/// Copies the rows `load.query` selects into the account's `load.table`; returns their count.
pub(crate) fn load(
    tx: &mut Transaction<'_>,
    account: &SqlAccount,
    load: &TableLoad<'_>,
) -> Result<u64> {
    let (project, source, query, target) = (load.project, load.source, &load.query, load);
    let schema = quote(&account.schema);
    let table = format!("{schema}.{}", quote(target.table));
    let wanted: Vec<String> = query
        .columns
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let existing = columns_of(tx, &account.schema, target.table)?;
    let mut params = Params::new();
    let select = {
        let mut sql = format!(
            "SELECT {} FROM {}{} ORDER BY _stackport_row",
            names::columns(query.columns).join(", "),
            qualified(project, source.as_str()),
            where_clause(query, &mut params)
        );
        if let Some(limit) = query.limit {
            params.push(Box::new(limit.min(i64::MAX as u64) as i64));
            sql.push_str(&format!(" LIMIT ${}", params.len()));
        }
        sql
    };
    let defs: Vec<String> = wanted
        .iter()
        .map(|c| format!("{} TEXT", quote(c)))
        .collect();
    let list: Vec<String> = wanted.iter().map(|c| quote(c)).collect();
    let user = quote(&account.user);
    let rows = if target.incremental && existing.is_some() {
        let existing = existing.unwrap_or_default();
        if existing != wanted {
            return Err(Error::invalid(
                "workspaces.columnsDiffer",
                format!(
                    "table '{}' in the workspace has columns {existing:?}, the load has \
                     {wanted:?}; load it without incremental to replace it",
                    target.table
                ),
            ));
        }
        let staging = format!("{schema}.{}", quote("_stackport_load"));
        tx.batch_execute(&format!(
            "DROP TABLE IF EXISTS {staging}; CREATE TABLE {staging} ({})",
            defs.join(", ")
        ))
        .map_err(|e| in_the_way(target.table, e))?;
        let n = tx
            .execute(
                &format!("INSERT INTO {staging} ({}) {select}", list.join(", ")),
                &refs(&params),
            )
            .map_err(pg)?;
        tx.batch_execute(&format!(
            "ALTER TABLE {staging} OWNER TO {user};
             SET LOCAL ROLE {user};
             INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging};
             DROP TABLE {staging};
             RESET ROLE;",
            cols = list.join(", ")
        ))
        .map_err(|e| in_the_way(target.table, e))?;
        n
    } else {
        tx.batch_execute(&format!(
            "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({})",
            defs.join(", ")
        ))
        .map_err(|e| in_the_way(target.table, e))?;
        let n = tx
            .execute(
                &format!("INSERT INTO {table} ({}) {select}", list.join(", ")),
                &refs(&params),
            )
            .map_err(pg)?;
        tx.batch_execute(&format!("ALTER TABLE {table} OWNER TO {user}"))
            .map_err(pg)?;
        n
    };
    Ok(rows)
}

/// The columns of `schema.table` in order; none when there is no such table.
fn columns_of(tx: &mut Transaction<'_>, schema: &str, table: &str) -> Result<Option<Vec<String>>> {
    let rows = tx
        .query(
            "SELECT a.attname::text FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') \
               AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            &[&schema, &table],
        )
        .map_err(pg)?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(rows.iter().map(|r| r.get(0)).collect()))
}

/// A statement refused for what the account holds (a view of that name, an object depending
/// on the table, a trigger of its own failing): a 409, since the account's user put it there.
fn in_the_way(table: &str, e: postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) if !db.code().code().starts_with("08") && !db.code().code().starts_with("53") => {
            Error::conflict(
                "workspaces.loadConflict",
                format!(
                    "loading table '{table}' in the workspace failed: {}; an object of the \
                     workspace stands in the way: drop it, or load under another destination",
                    db.message()
                ),
            )
        }
        _ => pg(e),
    }
}
