//! A transformation's sandbox: an account of its own, and a session logged in *as* that account
//! (its own password, its own connection), so a script's `RESET ROLE` or `SET ROLE` has no other
//! identity to return to. Every statement runs under `statement_timeout`, set at login and as
//! the role's default; since a script may still `SET statement_timeout = 0`, the job's time
//! limit also cancels the running statement through [`SqlSandbox::canceller`].
//!
//! Dropping the sandbox ends the session and drops the account (schema, tables and role);
//! [`crate::PostgresBackend`]'s `sweep_sandboxes` drops those a crash left, at each start.

use std::time::Duration;

use postgres::{CancelToken, Client, NoTls};
use stackport_stack::backend::{quote, SqlAccount, SqlCanceller, SqlFailure, SqlSandbox};
use stackport_stack::Result;

use crate::error::pg;
use crate::PostgresBackend;

/// Rows read back per round trip.
const BATCH: i32 = 1_000;

/// Sessions a sandbox role may hold: the job's, and the one that loads its inputs.
pub(crate) const CONNECTIONS: i32 = 2;

pub(crate) struct Sandbox<'b> {
    backend: &'b PostgresBackend,
    account: SqlAccount,
    client: Option<Client>,
    cancel: CancelToken,
}

impl<'b> Sandbox<'b> {
    /// Logs in as `account` (already created) with `password`.
    pub(crate) fn login(
        backend: &'b PostgresBackend,
        account: SqlAccount,
        password: &str,
        statement_timeout: Duration,
    ) -> Result<Sandbox<'b>> {
        let ms = statement_timeout.as_millis().clamp(1, i32::MAX as u128);
        let mut config = backend.pool().config().clone();
        config
            .user(&account.user)
            .password(password)
            // Options replace the pool's: the text forms of typed values must stay the
            // stack's, while the search_path stays the role's own (its schema).
            .options(&format!(
                "{} -c statement_timeout={ms}",
                crate::pool::TEXT_OPTIONS
            ))
            .application_name("stackport sandbox");
        let client = config.connect(NoTls).map_err(pg)?;
        let cancel = client.cancel_token();
        Ok(Sandbox {
            backend,
            account,
            client: Some(client),
            cancel,
        })
    }

    fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until dropped")
    }

    /// Finds `table` as named, else as PostgreSQL folds an unquoted name (lower case).
    fn resolve(&mut self, table: &str) -> Result<Option<(String, Vec<String>)>> {
        for name in [table.to_string(), table.to_lowercase()] {
            let schema = self.account.schema.clone();
            let rows = self
                .client()
                .query(
                    "SELECT a.attname::text FROM pg_attribute a \
                     JOIN pg_class c ON c.oid = a.attrelid \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = $1 AND c.relname = $2 \
                       AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
                       AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                    &[&schema, &name],
                )
                .map_err(pg)?;
            if !rows.is_empty() {
                return Ok(Some((name, rows.iter().map(|r| r.get(0)).collect())));
            }
        }
        Ok(None)
    }
}

impl SqlSandbox for Sandbox<'_> {
    fn account(&self) -> &SqlAccount {
        &self.account
    }

    fn canceller(&self) -> SqlCanceller {
        let token = self.cancel.clone();
        Box::new(move || {
            let _ = token.cancel_query(NoTls);
        })
    }

    fn execute(&mut self, sql: &str) -> std::result::Result<(), SqlFailure> {
        self.client()
            .batch_execute(sql)
            .map_err(|e| match e.as_db_error() {
                Some(db) => SqlFailure {
                    message: db.message().to_string(),
                    // 57014: query_canceled, by statement_timeout or a cancel request.
                    cancelled: db.code().code() == "57014",
                },
                None => SqlFailure {
                    message: e.to_string(),
                    cancelled: false,
                },
            })
    }

    fn columns_of(&mut self, table: &str) -> Result<Option<Vec<String>>> {
        Ok(self.resolve(table)?.map(|(_, columns)| columns))
    }

    fn read_table(
        &mut self,
        table: &str,
        columns: &[String],
        visit: &mut dyn FnMut(&[&str]) -> Result<()>,
    ) -> Result<u64> {
        let Some((name, _)) = self.resolve(table)? else {
            return Err(stackport_stack::Error::not_found(
                "transformation.noTable",
                format!("the sandbox has no table '{table}'"),
            ));
        };
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("{}::text", quote(c)))
            .collect();
        let sql = format!(
            "SELECT {} FROM {}.{}",
            select.join(", "),
            quote(&self.account.schema),
            quote(&name)
        );
        // As the sandbox's role: a view of the script's runs with the script's rights only.
        let mut tx = self.client().transaction().map_err(pg)?;
        let portal = tx.bind(&sql, &[]).map_err(pg)?;
        let mut count = 0u64;
        loop {
            let rows = tx.query_portal(&portal, BATCH).map_err(pg)?;
            if rows.is_empty() {
                break;
            }
            let mut values: Vec<&str> = Vec::with_capacity(columns.len());
            for row in &rows {
                values.clear();
                for i in 0..columns.len() {
                    values.push(row.get::<_, Option<&str>>(i).unwrap_or(""));
                }
                visit(&values)?;
                count += 1;
            }
        }
        tx.commit().map_err(pg)?;
        Ok(count)
    }
}

impl Drop for Sandbox<'_> {
    fn drop(&mut self) {
        drop(self.client.take());
        if let Err(e) = self.backend.drop_sandbox(&self.account) {
            tracing::warn!(
                role = %self.account.user,
                error = %e,
                "dropping a sandbox failed; the next start's sweep drops it"
            );
        }
    }
}
