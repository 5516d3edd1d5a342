//! The seam for a table backend whose server also hosts SQL accounts: provisioned workspaces
//! that are real database logins, and the throw-away sandboxes SQL transformations run in.
//!
//! Why a seam of its own: a SQLite backend has no server to log into, so its workspaces are
//! files the stack makes (`ops::provisioning`); a database server can give each workspace a
//! schema and a role of its own, and load a project's tables into it without the rows leaving
//! the server. [`super::TableBackend::sql_host`] says which kind a backend is.
//!
//! Every account is a login role that owns one schema and may reach nothing else: no project's
//! tables, no other account, no bookkeeping of the stack. Its password comes from the stack
//! (generated, sealed in the metadata, shown once); the host never keeps or logs it.

use std::time::Duration;

use stackport_model::{ProjectId, WorkspaceId};

use super::{ExportQuery, PhysicalName};
use crate::error::Result;

/// A login role and the one schema it owns, by their names on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlAccount {
    /// The schema the account reads and writes (and its `search_path`).
    pub schema: String,
    /// The login role.
    pub user: String,
}

/// What a SQL client needs, besides user and password, to reach the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionFacts {
    /// The server's host name or address, as the stack reaches it.
    pub host: String,
    /// Its TCP port.
    pub port: u16,
    /// The database the accounts live in.
    pub database: String,
}

/// One table a load copies: rows of a project's table into the account's schema.
#[derive(Debug, Clone)]
pub struct TableLoad<'a> {
    /// The project whose table it reads (its schema on this server).
    pub project: ProjectId,
    /// The table, as the catalog names it physically.
    pub source: &'a PhysicalName,
    /// The rows and columns (in order) to copy.
    pub query: ExportQuery<'a>,
    /// The table's name in the account's schema.
    pub table: &'a str,
    /// Append to an existing table of the same columns instead of replacing it.
    pub incremental: bool,
}

/// A statement of a sandbox that failed, and whether it failed by passing the statement timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlFailure {
    /// The server's message.
    pub message: String,
    /// The server stopped it at the sandbox's statement timeout (or the stack cancelled it).
    pub cancelled: bool,
}

/// Stops the statement a sandbox runs now, from another thread (a job's kill or time limit).
pub type SqlCanceller = Box<dyn Fn() + Send + Sync>;

/// A server that hosts SQL accounts. Names are the host's to choose
/// ([`SqlHost::workspace_account`]), so several stacks on one server never meet.
pub trait SqlHost: Send + Sync {
    /// The backend's name, as workspaces' `connection.backend` shows it (`postgresql`).
    fn backend_name(&self) -> &str;

    /// Host, port and database, for a workspace's `connection`.
    fn connection(&self) -> ConnectionFacts;

    /// The names of workspace `id` of `project`: always the same for the same workspace.
    fn workspace_account(&self, project: ProjectId, id: WorkspaceId) -> SqlAccount;

    /// Creates the role (logging in with `password`) and its schema; refuses names in use.
    /// With `statement_timeout`, every session of the role starts with it (a workspace's
    /// `statementTimeoutSeconds`).
    fn create_account(
        &self,
        account: &SqlAccount,
        password: &str,
        statement_timeout: Option<Duration>,
    ) -> Result<()>;

    /// Gives the role a new password; sessions already open stay, new logins need it.
    fn set_password(&self, account: &SqlAccount, password: &str) -> Result<()>;

    /// Drops the schema with everything in it and the role; nothing to do when gone.
    fn drop_account(&self, account: &SqlAccount) -> Result<()>;

    /// Copies `loads` into the account's schema on the server, all or nothing: with
    /// `replace_all` its tables and views are dropped first, and if the schema would grow by
    /// more than `max_growth_bytes` (what `quotas.workspaceBytes` leaves) nothing is kept.
    /// Returns each load's row count, in order. The account's own code (a trigger on its
    /// table) must never run with the host's rights: what touches the account's objects runs
    /// in a session logged in as the account, with `password`.
    fn load_tables(
        &self,
        account: &SqlAccount,
        password: &str,
        replace_all: bool,
        loads: &[TableLoad<'_>],
        max_growth_bytes: u64,
    ) -> Result<Vec<u64>>;

    /// Bytes the accounts' schemas take on the server, for `quotas.workspaceBytes`.
    fn bytes_used(&self, accounts: &[SqlAccount]) -> Result<u64>;

    /// A fresh account named after `name` (a job id), logging in with `password`, whose
    /// session runs every statement with `statement_timeout`, as the account itself: never as
    /// the host's own user, so no statement can take the host's rights back (`RESET ROLE`).
    fn open_sandbox(
        &self,
        name: &str,
        password: &str,
        statement_timeout: Duration,
    ) -> Result<Box<dyn SqlSandbox + '_>>;

    /// Drops every sandbox a crash left behind (none whose session is still open: a job of
    /// another process); returns how many. Called at each stack start.
    fn sweep_sandboxes(&self) -> Result<usize>;
}

/// A throw-away account with its own session; dropping it ends the session and drops the
/// account, whether the job succeeded or not.
pub trait SqlSandbox: Send {
    /// Its names, for loading inputs into it ([`SqlHost::load_tables`]).
    fn account(&self) -> &SqlAccount;

    /// Cancels the statement running now, from another thread.
    fn canceller(&self) -> SqlCanceller;

    /// Runs `sql` (one or more statements) as the sandbox's role.
    fn execute(&mut self, sql: &str) -> std::result::Result<(), SqlFailure>;

    /// The columns of `table` in the sandbox's schema, in order; none when there is no such
    /// table or view.
    fn columns_of(&mut self, table: &str) -> Result<Option<Vec<String>>>;

    /// Streams the rows of `table` (its `columns`, as text; NULL as the empty string) to
    /// `visit`; returns the count.
    fn read_table(
        &mut self,
        table: &str,
        columns: &[String],
        visit: &mut dyn FnMut(&[&str]) -> Result<()>,
    ) -> Result<u64>;
}
