//! Workspace accounts: a login role owning one schema, in the database of the project schemas.
//!
//! What keeps an account to its schema is PostgreSQL's own rules, not a filter of ours: a new
//! role has no `USAGE` on schemas it does not own (the `p<project>` schemas, other accounts'),
//! `CREATE` on the database and on `public` is revoked from everyone, and the role is created
//! `NOINHERIT` with no memberships, so it has no rights but its own. The stack's bookkeeping
//! (`_stackport_*` tables) lives in the project schemas, out of reach with them.
//!
//! Names carry a prefix derived from the database's name (`sp<10 hex>_`): roles belong to the
//! whole server, so two stacks with databases on one server must never pick the same role.
//! The password reaches the server only as a SCRAM verifier computed here, so it is in no
//! statement the server could log.

use postgres::{Client, GenericClient, Transaction};
use sha2::{Digest, Sha256};
use stackport_model::{ProjectId, WorkspaceId};
use stackport_stack::backend::{quote, SqlAccount};
use stackport_stack::Result;

use crate::error::pg;

/// Sessions one workspace account may hold at once.
pub(crate) const WORKSPACE_CONNECTIONS: i32 = 5;

/// The names this stack's accounts take in one database.
#[derive(Debug, Clone)]
pub(crate) struct Naming {
    /// `sp<10 hex of the database name's SHA-256>`.
    prefix: String,
    /// The database, quoted, for `GRANT ... ON DATABASE`.
    database: String,
}

/// The prefix, then `_`, of every login role the stack makes for accounts in `database`. Roles
/// belong to the whole server, not to a database: this keeps two stacks (or two databases of
/// one) from ever taking each other's names, and lets whoever drops a stack's database find
/// the roles it leaves behind.
pub fn account_role_prefix(database: &str) -> String {
    let digest = Sha256::digest(database.as_bytes());
    format!("sp{}", &hex::encode(digest)[..10])
}

impl Naming {
    pub(crate) fn new(database: &str) -> Naming {
        Naming {
            prefix: account_role_prefix(database),
            database: quote(database),
        }
    }

    /// The account of workspace `id`: schema `workspace_<id>`, role `<prefix>_p<project>_ws<id>`.
    pub(crate) fn workspace(&self, project: ProjectId, id: WorkspaceId) -> SqlAccount {
        SqlAccount {
            schema: format!("workspace_{id}"),
            user: format!("{}_ws{id}", self.project_prefix(project)),
        }
    }

    /// What every workspace role of `project` starts with.
    pub(crate) fn project_prefix(&self, project: ProjectId) -> String {
        format!("{}_p{}", self.prefix, project.0)
    }

    /// A sandbox's account: schema `_sandbox_<name>`, role `<prefix>_sandbox_<name>`, `name`
    /// kept to letters, digits and `_`, so the sweep recognises every one.
    pub(crate) fn sandbox(&self, name: &str) -> SqlAccount {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        SqlAccount {
            schema: format!("_sandbox_{safe}"),
            user: format!("{}{safe}", self.sandbox_prefix()),
        }
    }

    /// What every sandbox role of this stack's database starts with.
    pub(crate) fn sandbox_prefix(&self) -> String {
        format!("{}_sandbox_", self.prefix)
    }

    pub(crate) fn database(&self) -> &str {
        &self.database
    }
}

/// Creates the role and the schema it owns, in `tx`, with at most `connections` sessions.
pub(crate) fn create(
    tx: &mut Transaction<'_>,
    naming: &Naming,
    account: &SqlAccount,
    password: &str,
    connections: Option<i32>,
) -> Result<()> {
    let user = quote(&account.user);
    let schema = quote(&account.schema);
    let db = naming.database();
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    lock(tx)?;
    tx.batch_execute(&format!(
        "REVOKE CREATE ON DATABASE {db} FROM PUBLIC;
         REVOKE CREATE ON SCHEMA public FROM PUBLIC;
         CREATE ROLE {user} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION \
             NOBYPASSRLS CONNECTION LIMIT {} PASSWORD '{verifier}';
         CREATE SCHEMA {schema} AUTHORIZATION {user};
         REVOKE ALL ON DATABASE {db} FROM {user};
         GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {user};
         ALTER ROLE {user} IN DATABASE {db} SET search_path TO {schema};",
        connections.unwrap_or(WORKSPACE_CONNECTIONS),
    ))
    .map_err(|e| match e.as_db_error().map(|d| d.code().code()) {
        // 42710: duplicate_object (the role), 42P06: duplicate_schema.
        Some("42710") | Some("42P06") => stackport_stack::Error::conflict(
            "workspaces.exists",
            format!(
                "the database server already has a role {} or schema {}; the workspace was not \
                 created, delete the leftover or ask the stack's administrator",
                account.user, account.schema
            ),
        ),
        _ => pg(e),
    })
}

/// Every new session of the role in this database starts with `statement_timeout`; zero is
/// no limit, as the reference's `statementTimeoutSeconds: 0` is.
pub(crate) fn set_statement_timeout(
    tx: &mut Transaction<'_>,
    naming: &Naming,
    account: &SqlAccount,
    timeout: std::time::Duration,
) -> Result<()> {
    let ms = timeout.as_millis().min(i32::MAX as u128);
    tx.batch_execute(&format!(
        "ALTER ROLE {} IN DATABASE {} SET statement_timeout = {ms}",
        quote(&account.user),
        naming.database()
    ))
    .map_err(pg)
}

/// A new password; the old one stops working for new logins at once.
pub(crate) fn set_password(
    client: &mut impl GenericClient,
    account: &SqlAccount,
    password: &str,
) -> Result<()> {
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    client
        .batch_execute(&format!(
            "ALTER ROLE {} PASSWORD '{verifier}'",
            quote(&account.user)
        ))
        .map_err(pg)
}

/// Ends the role's sessions, drops its schema and whatever else it owns in this database, and
/// the role; nothing to do for a role already gone.
pub(crate) fn drop(client: &mut Client, account: &SqlAccount) -> Result<()> {
    let mut tx = client.transaction().map_err(pg)?;
    lock(&mut tx)?;
    tx.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
        &[&account.user],
    )
    .map_err(pg)?;
    if !account.schema.is_empty() {
        tx.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            quote(&account.schema)
        ))
        .map_err(pg)?;
    }
    let exists = tx
        .query_opt(
            "SELECT 1 FROM pg_roles WHERE rolname = $1",
            &[&account.user],
        )
        .map_err(pg)?
        .is_some();
    if exists {
        let user = quote(&account.user);
        tx.batch_execute(&format!("DROP OWNED BY {user} CASCADE; DROP ROLE {user}"))
            .map_err(pg)?;
    }
    tx.commit().map_err(pg)
}

/// Serialises the account changes of this database: each one rewrites the database's access
/// list (`GRANT`/`REVOKE … ON DATABASE`, `DROP OWNED`), and two at once would fail with
/// "tuple concurrently updated".
fn lock(tx: &mut Transaction<'_>) -> Result<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(pg_catalog.hashtextextended('stackport.accounts', 0::bigint))",
        &[],
    )
    .map_err(pg)?;
    Ok(())
}

/// The roles whose names start with `prefix`, with the schema each owns (if any).
pub(crate) fn roles_starting(
    client: &mut impl GenericClient,
    prefix: &str,
) -> Result<Vec<SqlAccount>> {
    let rows = client
        .query(
            "SELECT r.rolname, coalesce(n.nspname, '') FROM pg_roles r \
             LEFT JOIN pg_namespace n ON n.nspowner = r.oid \
             WHERE starts_with(r.rolname, $1) ORDER BY r.rolname",
            &[&prefix],
        )
        .map_err(pg)?;
    Ok(rows
        .iter()
        .map(|r| SqlAccount {
            user: r.get(0),
            schema: r.get(1),
        })
        .collect())
}

/// Bytes of the tables (with their indexes and TOAST) in the schemas of `accounts`.
pub(crate) fn bytes_used(client: &mut impl GenericClient, accounts: &[SqlAccount]) -> Result<u64> {
    let schemas: Vec<&str> = accounts.iter().map(|a| a.schema.as_str()).collect();
    let n: i64 = client
        .query_one(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'm')",
            &[&schemas],
        )
        .map_err(pg)?
        .get(0);
    Ok(n.max(0) as u64)
}
