//! Workspaces on a database server ([`SqlHost`]): a login role owning one schema, which the
//! server creates, loads and drops. The stack keeps the same record as for a SQLite workspace
//! (the password sealed); the names in it are the server's role and schema.

use stackport_model::api::{Project, Workspace};
use stackport_model::ProjectId;

use super::load::Planned;
use crate::backend::{ExportQuery, SqlAccount, SqlHost, TableLoad};
use crate::error::{Error, Result};
use crate::Stack;

/// The account a workspace's record names.
pub(super) fn account_of(workspace: &Workspace) -> SqlAccount {
    SqlAccount {
        schema: workspace.connection.schema.clone(),
        user: workspace.connection.user.clone(),
    }
}

impl Stack {
    /// The server hosting the project's workspaces, if its backend is one (SQLite's are
    /// files): the server the project's tables are placed on.
    pub(super) fn sql_host_of(&self, project: &Project) -> Result<Option<&dyn SqlHost>> {
        Ok(self.project_backend(project)?.sql_host())
    }

    /// [`Stack::sql_host_of`] the project `id`.
    pub(super) fn sql_host_of_id(&self, id: ProjectId) -> Result<Option<&dyn SqlHost>> {
        self.sql_host_of(&self.get_project(id)?)
    }

    /// The workspace as answers show it: the port of `host` (the project's server) filled in,
    /// which the record does not keep (the server's address is the stack's setting, not the
    /// workspace's).
    pub(super) fn present_workspace(
        &self,
        host: Option<&dyn SqlHost>,
        mut workspace: Workspace,
    ) -> Workspace {
        if let Some(host) = host.filter(|h| h.backend_name() == workspace.connection.backend) {
            workspace.connection.port = Some(host.connection().port);
        }
        workspace
    }

    /// Bytes the project's workspaces on `host` have left under `quotas.workspaceBytes`;
    /// refuses at or past it.
    pub(super) fn sql_workspace_quota_left(
        &self,
        project: ProjectId,
        host: &dyn SqlHost,
    ) -> Result<u64> {
        let quota = self.settings.quotas.workspace_bytes;
        let accounts: Vec<SqlAccount> = self
            .store
            .read(|tx| tx.workspaces().list_workspaces(project))?
            .iter()
            .filter(|w| w.connection.backend == host.backend_name())
            .map(account_of)
            .collect();
        let stored = host.bytes_used(&accounts)?;
        if stored >= quota {
            return Err(super::workspace_quota_exceeded(project, stored, quota));
        }
        Ok(quota - stored)
    }

    /// Loads `planned` into the workspace's schema on its server, without the rows leaving
    /// it; with `preserve` false the schema's tables go first. All or nothing.
    pub(super) fn load_sql_workspace(
        &self,
        host: &dyn SqlHost,
        project: ProjectId,
        workspace: &Workspace,
        preserve: bool,
        planned: &[Planned],
    ) -> Result<Vec<u64>> {
        let left = self.sql_workspace_quota_left(project, host)?;
        let on = self.get_project(project)?;
        let loads = table_loads(
            host,
            &on,
            planned.iter().map(|p| {
                (
                    &p.stream,
                    p.destination.as_str(),
                    p.incremental,
                    p.source.to_string(),
                )
            }),
        )?;
        // The rows are put in place by a session of the workspace's own user.
        let password = self.open_sealed(
            project,
            workspace
                .component_id
                .as_ref()
                .zip(workspace.configuration_id.as_ref()),
            &workspace.connection.sealed_password,
        )?;
        host.load_tables(&account_of(workspace), &password, !preserve, &loads, left)
            .map_err(|e| e.context(format_args!("loading into workspace {}", workspace.id)))
    }
}

/// The server-side loads of export streams `(stream, destination, incremental, source id)`
/// into an account of `project`'s server. A stream of a table elsewhere (a linked bucket of a
/// project on another backend or server) cannot be copied on this server: refused, naming it.
pub(crate) fn table_loads<'s>(
    host: &dyn SqlHost,
    project: &Project,
    streams: impl Iterator<Item = (&'s crate::ExportStream, &'s str, bool, String)>,
) -> Result<Vec<TableLoad<'s>>> {
    let mut loads = Vec::new();
    for (stream, table, incremental, source) in streams {
        if stream.backend != project.backend || stream.placement != project.placement {
            return Err(Error::invalid(
                "workspaces.backendMismatch",
                format!(
                    "table {source} lives in backend '{}'{}, the workspace in '{}'{}: a load \
                     copies rows on the workspace's server, so it takes tables of that server \
                     only; export the table and import it into a table of this project first",
                    stream.backend,
                    on_server(stream.placement.as_deref()),
                    host.backend_name(),
                    on_server(project.placement.as_deref()),
                ),
            ));
        }
        loads.push(TableLoad {
            project: stream.project,
            source: &stream.physical,
            query: ExportQuery {
                columns: &stream.columns,
                filters: &stream.filters,
                changed_since: stream.changed_since,
                changed_until: stream.changed_until,
                limit: stream.limit,
            },
            table,
            incremental,
        });
    }
    Ok(loads)
}

/// " (server X)" for a placement, nothing without.
fn on_server(placement: Option<&str>) -> String {
    placement
        .map(|p| format!(" (server {p})"))
        .unwrap_or_default()
}
