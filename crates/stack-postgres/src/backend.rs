//! [`PostgresBackend`]: the structure changes and the reads around [`crate::import`] and
//! [`crate::export`].

use std::collections::HashMap;
use std::io::Write;

use postgres::config::Host;
use postgres::{Config, Transaction};
use stackport_model::{api::ColumnDefinition, BackendName, ColumnName, ProjectId};
use stackport_stack::backend::{
    quote, write_csv_from_rows, AppliedImport, ConnectionFacts, CsvLayout, ExportQuery, ImportPlan,
    PhysicalName, RowFeed, RowVisitor, SqlHost, TableBackend, TableStats,
};
use stackport_stack::{Error, Result};

use crate::error::pg;
use crate::names::{self, qualified, schema};
use crate::native::{column_ddl, Layout};
use crate::pool::Pool;
use crate::schema::{is_bookkeeping, touch};

/// Tables in the schemas `p<project id>` of one PostgreSQL database.
pub struct PostgresBackend {
    pool: Pool,
    /// The id the stack registered the server under; projects placed here record it.
    server: Option<String>,
    /// How workspace and sandbox accounts are named in this database.
    naming: crate::accounts::Naming,
    /// Where SQL clients reach the accounts.
    facts: ConnectionFacts,
}

/// The unique index that holds a table's primary key, named after the table.
fn key_index(table: &str) -> String {
    quote(&format!("{table}_pk"))
}

impl PostgresBackend {
    /// The name projects record.
    pub const NAME: BackendName = BackendName::from_static("postgresql");

    /// A backend on the database at `url` (`postgres://user@host:port/db` or `key=value`
    /// pairs), connecting once now so a wrong address or a database that is not UTF8 is reported
    /// here, not at the first import.
    pub fn connect(url: &str) -> Result<Self> {
        let backend = PostgresBackend::new(parse_config(url)?, None);
        backend.pool.get()?;
        Ok(backend)
    }

    /// Checks that the user may do what a stack does on its servers: create a schema per
    /// project, and login roles for workspaces and transformations, which it must be able to
    /// act as (own their schemas, end their sessions, drop what they own). Only a superuser
    /// can do all of it on every version: a `CREATEROLE` creator is not a member of the roles
    /// it creates from PostgreSQL 16 on. Refused otherwise, naming the user and the database.
    pub fn check_rights(&self) -> Result<()> {
        let row = self
            .pool
            .get()?
            .query_one(
                "SELECT r.rolname::text, current_database()::text, r.rolsuper \
                 FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
                &[],
            )
            .map_err(pg)?;
        let (user, database, superuser): (String, String, bool) =
            (row.get(0), row.get(1), row.get(2));
        if superuser {
            return Ok(());
        }
        Err(Error::invalid(
            "storage.backend.rights",
            format!(
                "the user '{user}' is not a superuser, and a stack's user on a PostgreSQL server \
                 creates and drops the login roles of workspaces and transformations in \
                 database '{database}'; register the server with a superuser (a server of its \
                 own for the stack's table data)"
            ),
        ))
    }

    /// The backend of the stack `stack`'s server `id` at `url`, connecting only when first
    /// used: a server that is down when the stack starts must not keep it from serving the
    /// projects that live elsewhere; its own projects' requests fail, naming it, until it is
    /// back. Every session checks that the database is `stack`'s (see [`crate::claim`]).
    pub fn on_server(stack: &str, id: &str, url: &str) -> Result<Self> {
        let mut backend = PostgresBackend::new(parse_config(url)?, Some(id.to_string()));
        backend.pool.claim_for(stack);
        Ok(backend)
    }

    /// A backend on the database at `url` for the stack `stack`, connecting now: what
    /// registering a server checks (reachable, UTF8, not another stack's database).
    pub fn connect_for(stack: &str, url: &str) -> Result<Self> {
        let mut backend = PostgresBackend::new(parse_config(url)?, None);
        backend.pool.claim_for(stack);
        backend.pool.get()?;
        Ok(backend)
    }

    /// Connects once, to tell at start whether the server is reachable and usable.
    pub fn check(&self) -> Result<()> {
        self.pool.get().map(drop)
    }

    /// The backend over `config`, the names of its accounts and where clients reach them
    /// taken from the configuration alone (no connection yet).
    fn new(config: Config, server: Option<String>) -> PostgresBackend {
        let facts = ConnectionFacts {
            host: match config.get_hosts().first() {
                Some(Host::Tcp(host)) => host.clone(),
                _ => "localhost".to_string(),
            },
            port: config.get_ports().first().copied().unwrap_or(5432),
            // PostgreSQL's own default: the database named as the user.
            database: config
                .get_dbname()
                .or(config.get_user())
                .unwrap_or("postgres")
                .to_string(),
        };
        PostgresBackend {
            naming: crate::accounts::Naming::new(&facts.database),
            facts,
            pool: Pool::new(config),
            server,
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    pub(crate) fn naming(&self) -> &crate::accounts::Naming {
        &self.naming
    }

    pub(crate) fn facts(&self) -> &ConnectionFacts {
        &self.facts
    }

    /// Runs `f` in a transaction holding the project's lock, with its schema created first
    /// when `ensure`; commits if `f` succeeds.
    fn write<T>(
        &self,
        project: ProjectId,
        ensure: bool,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction().map_err(pg)?;
        crate::schema::lock(&mut tx, project)?;
        if ensure {
            crate::schema::ensure(&mut tx, project)?;
        }
        let out = f(&mut tx)?;
        tx.commit().map_err(pg)?;
        Ok(out)
    }
}

/// Parses a connection string; the error never repeats it, as it may hold a password.
fn parse_config(url: &str) -> Result<Config> {
    let mut config: Config = url.parse().map_err(|e| {
        Error::invalid(
            "storage.backend.invalidUrl",
            format!("not a PostgreSQL connection string: {e}"),
        )
    })?;
    if config.get_connect_timeout().is_none() {
        // A server that does not answer must fail the request, not hold its thread forever.
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.application_name("stackport");
    Ok(config)
}

/// Drops `table` (its key index goes with it) and its figures.
fn drop_in(tx: &mut Transaction<'_>, project: ProjectId, table: &str) -> Result<()> {
    tx.batch_execute(&format!(
        "DROP TABLE IF EXISTS {}",
        qualified(project, table)
    ))
    .map_err(pg)?;
    tx.execute(
        &format!(
            "DELETE FROM {} WHERE tbl = $1",
            crate::schema::table(project, "_stackport_stats")
        ),
        &[&table],
    )
    .map_err(pg)?;
    Ok(())
}

fn create_key_index(
    tx: &mut Transaction<'_>,
    project: ProjectId,
    table: &str,
    primary_key: &[ColumnName],
) -> Result<()> {
    if primary_key.is_empty() {
        return Ok(());
    }
    tx.batch_execute(&format!(
        "CREATE UNIQUE INDEX {} ON {} ({})",
        key_index(table),
        qualified(project, table),
        names::columns(primary_key).join(", ")
    ))
    .map_err(pg)
}

/// Refuses the key when rows repeat it, naming the first repeated value.
fn refuse_duplicates(
    tx: &mut Transaction<'_>,
    project: ProjectId,
    table: &str,
    primary_key: &[ColumnName],
) -> Result<()> {
    let cols = names::columns(primary_key).join(", ");
    let shown = Layout::read(tx, project, table)?
        .texts(table, primary_key)?
        .join(", ");
    let dup = tx
        .query_opt(
            &format!(
                "SELECT concat_ws(', ', {shown}) FROM {} GROUP BY {cols} HAVING count(*) > 1 \
                 LIMIT 1",
                qualified(project, table)
            ),
            &[],
        )
        .map_err(pg)?;
    match dup {
        None => Ok(()),
        Some(row) => Err(Error::invalid(
            "storage.tables.duplicatePrimaryKey",
            format!(
                "rows repeat the key ({}) in column(s) {}; remove the duplicates first",
                row.get::<_, String>(0),
                primary_key
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

impl TableBackend for PostgresBackend {
    fn name(&self) -> BackendName {
        Self::NAME
    }

    fn placement(&self) -> Option<&str> {
        self.server.as_deref()
    }

    fn create_table(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        columns: &[ColumnName],
        definitions: Option<&[ColumnDefinition]>,
        primary_key: &[ColumnName],
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        if let Some(defs) = definitions {
            let named: Vec<&ColumnName> = defs.iter().map(|d| &d.name).collect();
            if named.len() != columns.len() || named.iter().zip(columns).any(|(d, c)| *d != c) {
                return Err(Error::internal(
                    "creating a typed table",
                    format!("the definitions of {table} do not name its columns in order"),
                ));
            }
        }
        self.write(project, true, |tx| {
            // An explicit row key keeps storage order (the order rows came in), which a heap
            // does not promise once rows are updated.
            let mut ddl = format!(
                "CREATE TABLE {} (_stackport_row BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ",
                qualified(project, table)
            );
            for (i, c) in columns.iter().enumerate() {
                let def = definitions.map(|d| &d[i]);
                ddl.push_str(&format!("{} {}, ", names::column(c), column_ddl(def)));
            }
            ddl.push_str("_timestamp BIGINT NOT NULL)");
            tx.batch_execute(&ddl).map_err(pg)?;
            create_key_index(tx, project, table, primary_key)?;
            tx.execute(
                &format!(
                    "INSERT INTO {} (tbl, last_change) VALUES ($1, $2)",
                    crate::schema::table(project, "_stackport_stats")
                ),
                &[&table, &now_micros],
            )
            .map_err(pg)?;
            Ok(())
        })
    }

    fn drop_table(&self, project: ProjectId, table: &PhysicalName) -> Result<()> {
        self.write(project, true, |tx| drop_in(tx, project, table.as_str()))
    }

    fn add_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
        definition: Option<&ColumnDefinition>,
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        self.write(project, true, |tx| {
            tx.batch_execute(&format!(
                "ALTER TABLE {} ADD COLUMN {} {}",
                qualified(project, table),
                names::column(column),
                column_ddl(definition)
            ))
            .map_err(pg)?;
            touch(tx, project, table, now_micros, false)
        })
    }

    fn drop_column(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        column: &ColumnName,
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        let t = qualified(project, table);
        let c = names::column(column);
        self.write(project, true, |tx| {
            let text =
                Layout::read(tx, project, table)?.texts(table, std::slice::from_ref(column))?;
            let removed: i64 = tx
                .query_one(
                    &format!(
                        "SELECT coalesce(sum(octet_length({})), 0)::BIGINT FROM {t}",
                        text[0]
                    ),
                    &[],
                )
                .map_err(pg)?
                .get(0);
            tx.batch_execute(&format!("ALTER TABLE {t} DROP COLUMN {c}"))
                .map_err(pg)?;
            tx.execute(
                &format!(
                    "UPDATE {} SET data_size = data_size - $2 WHERE tbl = $1",
                    crate::schema::table(project, "_stackport_stats")
                ),
                &[&table, &removed],
            )
            .map_err(pg)?;
            touch(tx, project, table, now_micros, false)
        })
    }

    fn set_primary_key(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        primary_key: &[ColumnName],
        now_micros: i64,
    ) -> Result<()> {
        let table = table.as_str();
        self.write(project, true, |tx| {
            tx.batch_execute(&format!(
                "DROP INDEX IF EXISTS {}.{}",
                quote(&schema(project)),
                key_index(table)
            ))
            .map_err(pg)?;
            if !primary_key.is_empty() {
                refuse_duplicates(tx, project, table, primary_key)?;
                create_key_index(tx, project, table, primary_key)?;
            }
            touch(tx, project, table, now_micros, false)
        })
    }

    fn import(
        &self,
        project: ProjectId,
        plan: &ImportPlan<'_>,
        feed: &mut RowFeed<'_>,
    ) -> Result<TableStats> {
        self.write(project, true, |tx| {
            crate::import::run(tx, project, plan, feed)
        })
    }

    fn export(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
        visit: &mut RowVisitor<'_>,
    ) -> Result<u64> {
        let mut conn = self.pool.get()?;
        crate::export::export(&mut conn, project, table.as_str(), query, visit)
    }

    /// Without the row times, the server writes the CSV itself (module `csv_copy`); with
    /// them, the rows go through [`TableBackend::export`] and the stack's writer, which formats
    /// times as the stack does for every year (SQL's formatting differs outside 1..9999).
    fn export_csv(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
        layout: CsvLayout,
        out: &mut dyn Write,
    ) -> Result<u64> {
        if layout.timestamp_column {
            return write_csv_from_rows(query.columns, layout, out, &mut |visit| {
                self.export(project, table, query, visit)
            });
        }
        let mut conn = self.pool.get()?;
        crate::csv_copy::write(&mut conn, project, table.as_str(), query, out)
    }

    fn count(
        &self,
        project: ProjectId,
        table: &PhysicalName,
        query: &ExportQuery<'_>,
    ) -> Result<u64> {
        let mut conn = self.pool.get()?;
        crate::export::count(&mut conn, project, table.as_str(), query)
    }

    fn stats(&self, project: ProjectId, table: &PhysicalName) -> Result<TableStats> {
        let mut conn = self.pool.get()?;
        crate::schema::read_stats(&mut *conn, project, table.as_str())
    }

    fn applied_import(&self, project: ProjectId, key: &str) -> Result<Option<AppliedImport>> {
        let mut conn = self.pool.get()?;
        if !crate::schema::exists(&mut *conn, project)? {
            return Ok(None);
        }
        let row = conn
            .query_opt(
                &format!(
                    "SELECT tbl, imported_rows FROM {} WHERE key = $1",
                    crate::schema::table(project, "_stackport_import_keys")
                ),
                &[&key],
            )
            .map_err(pg)?;
        Ok(row.map(|r| AppliedImport {
            table: r.get(0),
            imported_rows: r.get::<_, i64>(1) as u64,
        }))
    }

    fn stats_all(&self, project: ProjectId) -> Result<HashMap<String, TableStats>> {
        let mut conn = self.pool.get()?;
        Ok(crate::schema::read_all_stats(&mut *conn, project)?
            .into_iter()
            .collect())
    }

    fn list_physical(&self, project: ProjectId) -> Result<Vec<String>> {
        let mut conn = self.pool.get()?;
        let rows = conn
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1",
                &[&schema(project)],
            )
            .map_err(pg)?;
        let mut out: Vec<String> = rows
            .iter()
            .map(|r| r.get::<_, String>(0))
            .filter(|n| !is_bookkeeping(n))
            .collect();
        out.sort();
        Ok(out)
    }

    fn drop_physical(&self, project: ProjectId, name: &str) -> Result<()> {
        if is_bookkeeping(name) {
            return Err(Error::internal(
                "dropping a physical table",
                format!("'{name}' is the backend's own bookkeeping, not a table's data"),
            ));
        }
        if !crate::schema::exists(&mut *self.pool.get()?, project)? {
            return Ok(());
        }
        self.write(project, true, |tx| drop_in(tx, project, name))
    }

    /// The project's schema, and the accounts of its workspaces (they live on this server).
    fn drop_project(&self, project: ProjectId) -> Result<()> {
        self.drop_workspace_accounts(project)?;
        self.write(project, false, |tx| {
            tx.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                quote(&schema(project))
            ))
            .map_err(pg)
        })
    }

    fn sql_host(&self) -> Option<&dyn SqlHost> {
        Some(self)
    }
}
