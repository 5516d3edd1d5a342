//! [`SqlHost`] for [`PostgresBackend`]: workspace accounts ([`crate::accounts`]), server-side
//! loads ([`crate::account_load`]) and transformation sandboxes ([`crate::sandbox`]).

use std::time::Duration;

use stackport_model::{ProjectId, WorkspaceId};
use stackport_stack::backend::{ConnectionFacts, SqlAccount, SqlHost, SqlSandbox, TableLoad};
use stackport_stack::Result;

use crate::accounts;
use crate::error::pg;
use crate::sandbox::{self, Sandbox};
use crate::PostgresBackend;

impl PostgresBackend {
    /// Drops a sandbox's account (its session ended or left).
    pub(crate) fn drop_sandbox(&self, account: &SqlAccount) -> Result<()> {
        accounts::drop(&mut *self.pool().get()?, account)
    }

    /// Drops the workspace accounts of `project`, when the project goes.
    pub(crate) fn drop_workspace_accounts(&self, project: ProjectId) -> Result<()> {
        let mut conn = self.pool().get()?;
        // `_ws` ends the project's number: project 1's prefix does not take project 12's.
        let prefix = format!("{}_ws", self.naming().project_prefix(project));
        for account in accounts::roles_starting(&mut *conn, &prefix)? {
            accounts::drop(&mut conn, &account)?;
        }
        Ok(())
    }
}

impl SqlHost for PostgresBackend {
    fn backend_name(&self) -> &str {
        "postgresql"
    }

    fn connection(&self) -> ConnectionFacts {
        self.facts().clone()
    }

    fn workspace_account(&self, project: ProjectId, id: WorkspaceId) -> SqlAccount {
        self.naming().workspace(project, id)
    }

    fn create_account(
        &self,
        account: &SqlAccount,
        password: &str,
        statement_timeout: Option<Duration>,
    ) -> Result<()> {
        let mut conn = self.pool().get()?;
        let mut tx = conn.transaction().map_err(pg)?;
        accounts::create(&mut tx, self.naming(), account, password, None)?;
        if let Some(timeout) = statement_timeout {
            accounts::set_statement_timeout(&mut tx, self.naming(), account, timeout)?;
        }
        tx.commit().map_err(pg)
    }

    fn set_password(&self, account: &SqlAccount, password: &str) -> Result<()> {
        accounts::set_password(&mut *self.pool().get()?, account, password)
    }

    fn drop_account(&self, account: &SqlAccount) -> Result<()> {
        accounts::drop(&mut *self.pool().get()?, account)
    }

    fn load_tables(
        &self,
        account: &SqlAccount,
        password: &str,
        replace_all: bool,
        loads: &[TableLoad<'_>],
        max_growth_bytes: u64,
    ) -> Result<Vec<u64>> {
        crate::account_load::load(
            self,
            account,
            password,
            replace_all,
            loads,
            max_growth_bytes,
        )
    }

    fn bytes_used(&self, accounts: &[SqlAccount]) -> Result<u64> {
        if accounts.is_empty() {
            return Ok(0);
        }
        accounts::bytes_used(&mut *self.pool().get()?, accounts)
    }

    fn open_sandbox(
        &self,
        name: &str,
        password: &str,
        statement_timeout: Duration,
    ) -> Result<Box<dyn SqlSandbox + '_>> {
        let account = self.naming().sandbox(name);
        {
            let mut conn = self.pool().get()?;
            // A leftover of the same name (a crash of this job before) goes first.
            accounts::drop(&mut conn, &account)?;
            let mut tx = conn.transaction().map_err(pg)?;
            accounts::create(
                &mut tx,
                self.naming(),
                &account,
                password,
                Some(sandbox::CONNECTIONS),
            )?;
            accounts::set_statement_timeout(&mut tx, self.naming(), &account, statement_timeout)?;
            tx.commit().map_err(pg)?;
        }
        match Sandbox::login(self, account.clone(), password, statement_timeout) {
            Ok(sandbox) => Ok(Box::new(sandbox)),
            Err(e) => {
                let _ = self.drop_sandbox(&account);
                Err(e)
            }
        }
    }

    fn sweep_sandboxes(&self) -> Result<usize> {
        let mut conn = self.pool().get()?;
        let mut swept = 0;
        for account in accounts::roles_starting(&mut *conn, &self.naming().sandbox_prefix())? {
            // A session still open is a job running in another process of the same stack: a
            // crashed process's sessions end with its connections.
            let live = conn
                .query_opt(
                    "SELECT 1 FROM pg_stat_activity WHERE usename = $1 LIMIT 1",
                    &[&account.user],
                )
                .map_err(pg)?
                .is_some();
            if !live {
                accounts::drop(&mut conn, &account)?;
                swept += 1;
            }
        }
        Ok(swept)
    }
}
