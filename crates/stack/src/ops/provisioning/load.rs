//! Loading Storage tables into a workspace (kbcstorage's `load_tables`): every input is checked
//! before anything is written, then the rows go into one transaction of the workspace, so a
//! failed load leaves it as it was. Into a SQLite workspace the rows stream from the table
//! backend (memory stays bounded); a workspace on a database server copies them there, on the
//! server (`sql_workspace`).

use std::collections::HashSet;

use serde_json::json;
use stackport_model::api::{
    LoadedTable, StorageOperation, Workspace, WorkspaceLoad, WorkspaceLoadInput,
    WorkspaceLoadRequest, WorkspaceLoadResults,
};
use stackport_model::{ProjectId, TableId, WorkspaceId};

use super::{load_workspace, sqlite_workspace};
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::ops::events::{record, NewEvent};
use crate::ops::export::{ExportOptions, ExportStream};
use crate::Stack;

/// `load` copies rows with the options a table export takes; `load-clone` copies whole tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadKind {
    Load,
    Clone,
}

impl LoadKind {
    /// The storage job operation that runs this kind of load.
    pub fn operation(self) -> StorageOperation {
        match self {
            LoadKind::Load => StorageOperation::WorkspaceLoad,
            LoadKind::Clone => StorageOperation::WorkspaceLoadClone,
        }
    }
}

/// One checked input: where the rows come from and where they go.
pub(super) struct Planned {
    pub source: TableId,
    pub destination: String,
    pub incremental: bool,
    pub stream: ExportStream,
}

/// The longest table name a load writes.
const MAX_DESTINATION: usize = 256;

fn check_destination(i: usize, destination: Option<&str>) -> Result<String> {
    let d = destination.map(str::trim).unwrap_or("");
    let bad = |why: String| {
        Error::invalid(
            "workspaces.invalidDestination",
            format!("input[{i}][destination] {why}"),
        )
    };
    if d.is_empty() {
        return Err(bad(
            "is missing: give the table's name in the workspace, e.g. 'orders'".into(),
        ));
    }
    if d.len() > MAX_DESTINATION {
        return Err(bad(format!("is longer than {MAX_DESTINATION} bytes")));
    }
    if !d
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(bad(format!(
            "'{d}' has a character a table name may not; use letters, digits, '_', '-' and '.'"
        )));
    }
    let lower = d.to_ascii_lowercase();
    if lower.starts_with(crate::backend::BOOKKEEPING_PREFIX) || lower.starts_with("sqlite_") {
        return Err(bad(format!(
            "'{d}' is a name the workspace keeps for itself (_stackport…, sqlite_…); choose \
             another"
        )));
    }
    Ok(d.to_string())
}

impl Stack {
    /// Checks one input against the tables the token may read.
    fn plan_input(
        &self,
        auth: &TokenAuth,
        kind: LoadKind,
        i: usize,
        input: &WorkspaceLoadInput,
    ) -> Result<Planned> {
        if input.data_file_id.is_some() {
            return Err(Error::not_implemented(
                "workspaces.fileLoadNotSupported",
                format!(
                    "input[{i}][dataFileId]: loading files needs a file (ABS) workspace, and \
                     this stack's workspaces hold tables only; load a table with \
                     input[{i}][source], or download the file (GET /v2/storage/files/{{id}})"
                ),
            ));
        }
        let source = input.source.as_deref().map(str::trim).unwrap_or("");
        if source.is_empty() {
            return Err(Error::invalid(
                "workspaces.missingSource",
                format!("input[{i}][source] is missing: give a table id, e.g. in.c-main.orders"),
            ));
        }
        let source: TableId = source.parse().map_err(|e| {
            Error::invalid(
                "workspaces.invalidSource",
                format!("input[{i}][source] '{source}' is not a table id: {e}"),
            )
        })?;
        let destination = check_destination(i, input.destination.as_deref())?;
        let filtered =
            input.columns.is_some() || input.rows.is_some() || input.changed_since.is_some();
        if kind == LoadKind::Clone && filtered {
            return Err(Error::invalid(
                "workspaces.cloneIsWhole",
                format!(
                    "input[{i}]: load-clone copies whole tables, so columns, rows and \
                     changedSince are not taken; use load for a part of a table"
                ),
            ));
        }
        let options = ExportOptions {
            columns: input.columns.clone(),
            changed_since: input.changed_since.clone(),
            limit: input.rows,
            ..ExportOptions::default()
        };
        let stream = self
            .prepare_export(auth, &source, &options)
            .map_err(|e| e.context(format_args!("input[{i}][source] {source}")))?;
        Ok(Planned {
            source,
            destination,
            incremental: input.incremental.unwrap_or(false),
            stream,
        })
    }

    /// Every check a load makes before it writes: the workspace, each input's table and
    /// options, distinct destinations. The storage job that runs the load is accepted only
    /// when these pass, so the client sees such a mistake at once as a 4xx.
    pub(crate) fn check_workspace_load(
        &self,
        auth: &TokenAuth,
        id: WorkspaceId,
        request: &WorkspaceLoadRequest,
        kind: LoadKind,
    ) -> Result<()> {
        self.plan_workspace_load(auth, id, request, kind).map(drop)
    }

    fn plan_workspace_load(
        &self,
        auth: &TokenAuth,
        id: WorkspaceId,
        request: &WorkspaceLoadRequest,
        kind: LoadKind,
    ) -> Result<(Workspace, Vec<Planned>)> {
        auth.require_manage_buckets()?;
        let project = auth.project();
        let workspace = self.store.read(|tx| load_workspace(tx, project, id))?;
        if request.input.is_empty() {
            return Err(Error::invalid(
                "workspaces.emptyLoad",
                "input is empty: give input[0][source] (a table id) and input[0][destination] \
                 (its name in the workspace)",
            ));
        }
        let mut seen = HashSet::new();
        let mut planned = Vec::with_capacity(request.input.len());
        for (i, input) in request.input.iter().enumerate() {
            let p = self.plan_input(auth, kind, i, input)?;
            if !seen.insert(p.destination.to_ascii_lowercase()) {
                return Err(Error::invalid(
                    "workspaces.duplicateDestination",
                    format!(
                        "input[{i}][destination] '{}' is named by an earlier input too; give \
                         each table its own name",
                        p.destination
                    ),
                ));
            }
            planned.push(p);
        }
        Ok((workspace, planned))
    }

    /// Loads tables into workspace `id`: with `preserve` false its tables are dropped first.
    pub fn load_workspace(
        &self,
        auth: &TokenAuth,
        id: WorkspaceId,
        request: &WorkspaceLoadRequest,
        kind: LoadKind,
    ) -> Result<WorkspaceLoad> {
        let (workspace, planned) = self.plan_workspace_load(auth, id, request, kind)?;
        let project = auth.project();
        let preserve = request.preserve.unwrap_or(true);
        let loaded = match self.sql_host_of_id(project)? {
            Some(host) => self.load_sql_workspace(host, project, &workspace, preserve, &planned)?,
            None => self.load_sqlite_workspace(project, id, &workspace, preserve, &planned)?,
        };
        let tables: Vec<LoadedTable> = planned
            .iter()
            .zip(loaded)
            .map(|(p, rows)| LoadedTable {
                source: p.source.to_string(),
                destination: p.destination.clone(),
                rows,
            })
            .collect();
        let by = auth.token_ref();
        self.store.write(|tx| {
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "workspaces.loaded",
                    message: format!("{} table(s) loaded into workspace {id}", tables.len()),
                    object_type: "workspace",
                    object_id: id.to_string(),
                    params: json!({ "tables": tables, "preserve": preserve }),
                },
            )
        })?;
        Ok(WorkspaceLoad {
            status: "success".into(),
            operation_name: kind.operation().as_str().into(),
            results: WorkspaceLoadResults {
                workspace_id: id,
                tables,
            },
        })
    }

    /// Streams `planned` from the table backend into the workspace's SQLite file.
    fn load_sqlite_workspace(
        &self,
        project: ProjectId,
        id: WorkspaceId,
        workspace: &Workspace,
        preserve: bool,
        planned: &[Planned],
    ) -> Result<Vec<u64>> {
        let dir = self.dir.join("workspaces").join(project.to_string());
        let left = self.check_workspace_quota(project, &dir)?;
        let quota = self.settings.quotas.workspace_bytes;
        let path = self.dir.join(&workspace.connection.database);
        // The rows' bytes count against what the quota leaves, as they stream: a load that
        // would pass it stops there and rolls back.
        let mut loaded_bytes = 0u64;
        sqlite_workspace::load(&path, preserve, planned, &mut |p, visit| {
            p.stream.visit_rows(self, &mut |values, timestamp| {
                loaded_bytes += values.iter().map(|v| v.len() as u64).sum::<u64>();
                if loaded_bytes > left {
                    return Err(super::workspace_quota_exceeded(
                        project,
                        quota - left + loaded_bytes,
                        quota,
                    )
                    .context(format_args!("loading {} into workspace {id}", p.source)));
                }
                visit(values, timestamp)
            })
        })
    }
}
