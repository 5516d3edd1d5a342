//! Loading a project's tables into an account's schema on the server itself: the rows go from
//! `p<project>.<table>` to `<schema>.<destination>` without passing through the stack.
//!
//! Two sessions, so the account's own code never runs with the host's rights. The host's user
//! (the only one who may read the project's schema) copies the rows into new staging tables
//! (`_stackport_load_<pid>_<n>`: nothing of the account's is touched, so nothing of it runs)
//! and hands them to the account. Then a session logged in *as the account* puts them in
//! place in one transaction: a replaced table is dropped and the staging table renamed, rows
//! for a table it keeps (`incremental`) are inserted, so a trigger, default or constraint the
//! account defined runs as the account, and a `RESET ROLE` in it has no other role to return
//! to. (`SET ROLE` from the host's session would not do: the account's code could reset it.)

use postgres::{Client, NoTls, Transaction};
use stackport_stack::backend::{quote, SqlAccount, TableLoad};
use stackport_stack::{Error, ErrorKind, Result};

use crate::accounts;
use crate::error::pg;
use crate::export::{refs, where_clause, Params};
use crate::names::qualified;
use crate::native::Layout;
use crate::PostgresBackend;

/// How long a load waits for a lock a session of the workspace's user holds (an open
/// transaction that read the table): then it fails, naming the table, instead of holding its
/// request, and a thread, for as long as the user's session stays open.
const LOCK_WAIT_SECONDS: u32 = 30;
const LOCK_WAIT: &str = "SET LOCAL lock_timeout = '30s'";

/// What the staging tables of one load start with.
const STAGING: &str = "_stackport_load_";

/// Loads `loads` into `account`'s schema; see the module's docs. Returns each row count.
pub(crate) fn load(
    backend: &PostgresBackend,
    account: &SqlAccount,
    password: &str,
    replace_all: bool,
    loads: &[TableLoad<'_>],
    max_growth_bytes: u64,
) -> Result<Vec<u64>> {
    for load in loads {
        refuse_long_name("table", load.table, load.table)?;
        for column in load.query.columns {
            refuse_long_name("column", column.as_str(), load.table)?;
        }
    }
    let mut host = backend.pool().get()?;
    let pid: i32 = host
        .query_one("SELECT pg_backend_pid()", &[])
        .map_err(pg)?
        .get(0);
    let staging: Vec<String> = (0..loads.len())
        .map(|n| format!("{STAGING}{pid}_{n}"))
        .collect();
    let before = accounts::bytes_used(&mut *host, std::slice::from_ref(account))?;
    let staged = (|| {
        let mut tx = host.transaction().map_err(pg)?;
        tx.batch_execute(LOCK_WAIT).map_err(pg)?;
        let mut counts = Vec::with_capacity(loads.len());
        for (load, name) in loads.iter().zip(&staging) {
            counts.push(stage(&mut tx, account, load, name)?);
        }
        tx.commit().map_err(pg)?;
        Ok(counts)
    })();
    let placed = staged.and_then(|counts| {
        let mut session = login(backend, account, password)?;
        let mut tx = session.transaction().map_err(pg)?;
        // The account's own statement_timeout is for its user's queries; a load is bounded by
        // the rows it moves, and a small timeout would fail every load as a conflict.
        tx.batch_execute(&format!("{LOCK_WAIT}; SET LOCAL statement_timeout = 0"))
            .map_err(pg)?;
        if replace_all {
            clear(&mut tx, account)?;
        }
        for (load, name) in loads.iter().zip(&staging) {
            place(&mut tx, account, load, name)?;
        }
        let after = accounts::bytes_used(&mut tx, std::slice::from_ref(account))?;
        let growth = after.saturating_sub(before);
        if growth > max_growth_bytes {
            return Err(Error::new(
                ErrorKind::TooLarge,
                "project.quotaExceeded",
                format!(
                    "the load would grow schema {} by {growth} bytes, over the \
                     {max_growth_bytes} bytes the project's workspaces have left under \
                     quotas.workspaceBytes; nothing was loaded: delete workspaces, load fewer \
                     rows, or ask the stack's administrator to raise the quota",
                    account.schema
                ),
            ));
        }
        tx.commit().map_err(pg)?;
        Ok(counts)
    });
    if placed.is_err() {
        // What was staged and not placed goes; the account's own tables were not touched.
        let schema = quote(&account.schema);
        for name in &staging {
            let _ = host.batch_execute(&format!("DROP TABLE IF EXISTS {schema}.{}", quote(name)));
        }
    }
    placed
}

/// Logs in as the account, over the host's own address.
fn login(backend: &PostgresBackend, account: &SqlAccount, password: &str) -> Result<Client> {
    let mut config = backend.pool().config().clone();
    config
        .user(&account.user)
        .password(password)
        .application_name("stackport load");
    config.connect(NoTls).map_err(|e| match e.as_db_error() {
        Some(db) => Error::conflict(
            "workspaces.loginFailed",
            format!(
                "the load logs in as the workspace's user {} and the server refused: {} \
                 (too many sessions of the user open? it may hold {} at once)",
                account.user,
                db.message(),
                accounts::WORKSPACE_CONNECTIONS
            ),
        ),
        None => pg(e),
    })
}

/// As the host: a new table `name` in the account's schema with the rows of `load`, owned by
/// the account. Returns the row count.
fn stage(
    tx: &mut Transaction<'_>,
    account: &SqlAccount,
    load: &TableLoad<'_>,
    name: &str,
) -> Result<u64> {
    let table = format!("{}.{}", quote(&account.schema), quote(name));
    let query = &load.query;
    let wanted: Vec<String> = query.columns.iter().map(|c| quote(c.as_str())).collect();
    let defs: Vec<String> = wanted.iter().map(|c| format!("{c} TEXT")).collect();
    let source = load.source.as_str();
    // Typed columns as the text they were imported as, as every export gives them.
    let layout = Layout::read(tx, load.project, source)?;
    let mut params = Params::new();
    let mut select = format!(
        "SELECT {} FROM {}{} ORDER BY _stackport_row",
        layout.texts(source, query.columns)?.join(", "),
        qualified(load.project, source),
        where_clause(&layout, source, query, &mut params)?
    );
    if let Some(limit) = query.limit {
        params.push(Box::new(limit.min(i64::MAX as u64) as i64));
        select.push_str(&format!(" LIMIT ${}", params.len()));
    }
    tx.batch_execute(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({})",
        defs.join(", ")
    ))
    .map_err(|e| schema_gone(account, e))?;
    let rows = tx
        .execute(
            &format!("INSERT INTO {table} ({}) {select}", wanted.join(", ")),
            &refs(&params),
        )
        .map_err(pg)?;
    tx.batch_execute(&format!(
        "ALTER TABLE {table} OWNER TO {}",
        quote(&account.user)
    ))
    .map_err(pg)?;
    Ok(rows)
}

/// No schema to stage in (SQLSTATE 3F000): the workspace was deleted since it was looked up,
/// or its schema dropped behind the stack's back; either way it is gone, and the load does not
/// make it anew. Anything else is [`pg`].
fn schema_gone(account: &SqlAccount, e: postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) if db.code().code() == "3F000" => Error::not_found(
            "workspaces.notFound",
            format!(
                "the workspace's schema {} is gone: the workspace was deleted during the load, \
                 or its schema dropped on the server; nothing was loaded: create a new workspace",
                account.schema
            ),
        ),
        _ => pg(e),
    }
}

/// As the account: the staged rows into `load.table`, replacing it or (incremental, same
/// columns) appended to it.
fn place(
    tx: &mut Transaction<'_>,
    account: &SqlAccount,
    load: &TableLoad<'_>,
    staged: &str,
) -> Result<()> {
    let schema = quote(&account.schema);
    let table = format!("{schema}.{}", quote(load.table));
    let staged_q = format!("{schema}.{}", quote(staged));
    let wanted: Vec<String> = load
        .query
        .columns
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let existing = columns_of(tx, &account.schema, load.table)?;
    match existing {
        Some(existing) if load.incremental => {
            if existing != wanted {
                return Err(Error::invalid(
                    "workspaces.columnsDiffer",
                    format!(
                        "table '{}' in the workspace has columns {existing:?}, the load has \
                         {wanted:?}; load it without incremental to replace it",
                        load.table
                    ),
                ));
            }
            let cols: Vec<String> = wanted.iter().map(|c| quote(c)).collect();
            tx.batch_execute(&format!(
                "INSERT INTO {table} ({cols}) SELECT {cols} FROM {staged_q}; DROP TABLE {staged_q}",
                cols = cols.join(", ")
            ))
            .map_err(|e| in_the_way(load.table, e))
        }
        _ => tx
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS {table}; ALTER TABLE {staged_q} RENAME TO {}",
                quote(load.table)
            ))
            .map_err(|e| in_the_way(load.table, e)),
    }
}

/// As the account: drops its tables, views and the like, never a staging table of a load.
fn clear(tx: &mut Transaction<'_>, account: &SqlAccount) -> Result<()> {
    let rows = tx
        .query(
            "SELECT c.relname::text, c.relkind::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
               AND NOT starts_with(c.relname, $2)",
            &[&account.schema, &STAGING],
        )
        .map_err(pg)?;
    let schema = quote(&account.schema);
    for row in rows {
        let name: String = row.get(0);
        let kind: String = row.get(1);
        let what = match kind.as_str() {
            "v" => "VIEW",
            "m" => "MATERIALIZED VIEW",
            "f" => "FOREIGN TABLE",
            _ => "TABLE",
        };
        tx.batch_execute(&format!(
            "DROP {what} IF EXISTS {schema}.{} CASCADE",
            quote(&name)
        ))
        .map_err(|e| in_the_way(&name, e))?;
    }
    Ok(())
}

/// PostgreSQL's longest name, in bytes; a longer one is silently cut to it.
const MAX_NAME_BYTES: usize = 63;

/// Refuses a name PostgreSQL would cut short: two names alike in their first 63 bytes would
/// then be one table (a load replacing another's rows) or a clash, and a table found by its
/// full name would never be found again.
fn refuse_long_name(what: &str, name: &str, table: &str) -> Result<()> {
    if name.len() <= MAX_NAME_BYTES {
        return Ok(());
    }
    Err(stackport_stack::Error::invalid(
        "workspaces.nameTooLong",
        format!(
            "the {what} name '{name}' of the load into '{table}' has {} bytes; a PostgreSQL \
             workspace takes names of at most {MAX_NAME_BYTES} bytes: load it under a shorter \
             destination, or choose its columns",
            name.len()
        ),
    ))
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

/// A statement of the account's session refused for what the account holds (a view of that
/// name, an object depending on the table, a trigger of its own failing): a 409, since the
/// account's user put it there. A lost connection or a server out of resources is not.
fn in_the_way(table: &str, e: postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) if db.code().code() == "55P03" => Error::conflict(
            "workspaces.loadBlocked",
            format!(
                "loading table '{table}' in the workspace waited {LOCK_WAIT_SECONDS} s for a lock \
                 another session of the workspace's user holds (an open transaction that read \
                 or changed the table?); end that transaction and load again"
            ),
        ),
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
