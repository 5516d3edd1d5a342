//! Resources the stack provisions in accounts it owns: SQL workspaces in its own backend, and
//! BI projects in its BI account. A migration cannot copy them (they belong to the source
//! stack's accounts); it provisions new ones on the destination from this list.

mod credentials;
mod load;
mod options;
pub(crate) mod sql_workspace;
mod sqlite_workspace;

pub use load::LoadKind;

use serde_json::{json, Value};
use stackport_model::api::{
    BiProject, NewBiProject, NewWorkspace, Provision, ProvisionedResource, Workspace,
};
use stackport_model::{ComponentId, ConfigId, ProjectId, WorkspaceId};

use super::auth::TokenAuth;
use super::configs::load_live_config;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::store::{NewBiProjectRecord, NewWorkspaceRecord, Tx, WorkspaceNames};
use crate::{secret, Stack};

fn load_workspace(tx: &mut Tx<'_>, project: ProjectId, id: WorkspaceId) -> Result<Workspace> {
    tx.workspaces().get_workspace(project, id)?.ok_or_else(|| {
        Error::not_found(
            "workspaces.notFound",
            format!("workspace {id} not found in this project"),
        )
    })
}

/// The refusal of a workspace write past `quotas.workspaceBytes`.
fn workspace_quota_exceeded(project: ProjectId, stored: u64, quota: u64) -> Error {
    Error::new(
        crate::ErrorKind::TooLarge,
        "project.quotaExceeded",
        format!(
            "project {project}'s workspaces take {stored} bytes, at its quota of {quota} bytes \
             (quotas.workspaceBytes); delete workspaces or ask the stack's administrator to \
             raise the quota"
        ),
    )
}

/// What a stack-provisioned writer's configuration keeps as `parameters.db` to reach a
/// workspace.
fn workspace_db_parameter(workspace: &Workspace) -> Value {
    let c = &workspace.connection;
    let mut db = json!({
        "driver": c.backend,
        "host": c.host,
        "database": c.database,
        "schema": c.schema,
        "user": c.user,
        "#password": c.sealed_password,
    });
    if let Some(port) = c.port {
        db["port"] = json!(port);
    }
    db
}

/// The host part of the stack's URL: where its workspaces are reached.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// Sets `parameters.<key>` of a configuration document to `value`, keeping every other key in
/// its place. The stack's own edit: the rest of the document is re-serialized, not byte-kept.
fn set_parameter(configuration: &str, key: &str, value: Value) -> Result<String> {
    let mut doc: Value = serde_json::from_str(configuration)?;
    let root = doc
        .as_object_mut()
        .ok_or_else(|| Error::internal("provisioning", "stored configuration is not an object"))?;
    let parameters = root.entry("parameters").or_insert_with(|| json!({}));
    if !parameters.is_object() {
        *parameters = json!({});
    }
    parameters
        .as_object_mut()
        .expect("just made an object")
        .insert(key.to_string(), value);
    Ok(serde_json::to_string(&doc)?)
}

impl Stack {
    /// The configuration a resource is for, checked: it exists, the token may use it, and its
    /// component is one the stack provisions `kind` for (when `kind` is given).
    fn provisioning_target(
        &self,
        c: &mut Tx<'_>,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
        kind: Option<Provision>,
    ) -> Result<()> {
        auth.require_component(component)?;
        load_live_config(c, auth.project(), component, config)?;
        if let Some(kind) = kind {
            let provisions = self.registry.get(component).and_then(|c| c.provisions);
            if provisions != Some(kind) {
                return Err(Error::invalid(
                    "provisioning.notProvisioned",
                    format!(
                        "component {component} is not one this stack provisions a {} for",
                        match kind {
                            Provision::Workspace => "workspace",
                            Provision::BiProject => "BI project",
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Points a configuration's `parameters.<key>`s at a provisioned resource, as one new version.
    fn point_config_at(
        &self,
        tx: &mut Tx<'_>,
        auth: &TokenAuth,
        (component, config): (&ComponentId, &ConfigId),
        parameters: Vec<(&str, Value)>,
        change: &str,
    ) -> Result<()> {
        let project = auth.project();
        let mut record = load_live_config(tx, project, component, config)?;
        for (key, value) in parameters {
            record.configuration = set_parameter(&record.configuration, key, value)?;
        }
        tx.configs().update_config(project, &record)?;
        self.new_config_version(tx, project, component, config, &auth.token_ref(), change)?;
        Ok(())
    }

    /// Creates a SQL workspace in the project's backend, with generated credentials (the
    /// password sealed): a SQLite database file of its own, or on a database server an account
    /// (a login role owning one schema, see [`crate::backend::SqlHost`]). For a stack-provisioned writer's configuration, the
    /// configuration's `parameters.db` is pointed at it.
    pub fn create_workspace(&self, auth: &TokenAuth, new: &NewWorkspace) -> Result<Workspace> {
        let project = self.get_project(auth.project())?;
        let target = match (&new.component_id, &new.configuration_id) {
            (Some(component), Some(config)) => Some((component.clone(), config.clone())),
            (None, None) => {
                auth.require_manage_buckets()?;
                None
            }
            _ => {
                return Err(Error::invalid(
                    "workspaces.invalid",
                    "give both componentId and configurationId, or neither",
                ))
            }
        };
        let options = options::check(new, &project.backend)?;
        let provisioned_writer = target.as_ref().is_some_and(|(component, _)| {
            self.registry.get(component).and_then(|c| c.provisions) == Some(Provision::Workspace)
        });
        let password = secret::random_string(32);
        // A database server hosts the workspace as an account of its own; SQLite's is a file.
        let sql_host = self.sql_host_of(&project)?;
        let host = match sql_host {
            Some(h) => h.connection().host,
            None => host_of(&self.settings.url),
        };
        let by = auth.token_ref();
        let dir = self.dir.join("workspaces").join(project.id.to_string());
        match sql_host {
            Some(h) => drop(self.sql_workspace_quota_left(project.id, h)?),
            None => {
                std::fs::create_dir_all(&dir)?;
                self.check_workspace_quota(project.id, &dir)?;
            }
        }
        // Set once the server's account exists, so a failed commit can drop it again.
        let created_account = std::cell::RefCell::new(None);
        let workspace = self.store.write(|tx| {
            if let Some((component, config)) = &target {
                self.provisioning_target(tx, auth, component, config, None)?;
            }
            let sealed = match &target {
                Some((component, config)) => {
                    self.seal_for_config(project.id, component, config, &password)
                }
                None => self.seal_project_wide(project.id, &password),
            };
            let created_micros = tx.now_micros();
            let id = tx.workspaces().insert_workspace(&NewWorkspaceRecord {
                project: project.id,
                config: target
                    .as_ref()
                    .map(|(component, config)| (component, config)),
                backend: &project.backend,
                host: &host,
                sealed_password: &sealed,
                created_micros,
                creator: &by,
                options: &options,
            })?;
            match sql_host {
                Some(h) => {
                    let account = h.workspace_account(project.id, id);
                    tx.workspaces().name_workspace(
                        id,
                        &WorkspaceNames {
                            database: &h.connection().database,
                            schema: &account.schema,
                            user: &account.user,
                        },
                    )?;
                    // Inside the transaction, so a refusal of the server leaves no row.
                    h.create_account(
                        &account,
                        &password,
                        options
                            .statement_timeout_seconds
                            .map(std::time::Duration::from_secs),
                    )?;
                    *created_account.borrow_mut() = Some(account);
                }
                None => {
                    let name = format!("WORKSPACE_{id}");
                    let database = format!("workspaces/{}/{id}.sqlite", project.id);
                    tx.workspaces().name_workspace(
                        id,
                        &WorkspaceNames {
                            database: &database,
                            schema: &name,
                            user: &name,
                        },
                    )?;
                    // The database itself: created inside the transaction, so a failure
                    // leaves no row.
                    sqlite_workspace::create(
                        &self.dir.join(&database),
                        id,
                        project.id,
                        created_micros,
                    )?;
                }
            }
            let workspace = self.present_workspace(sql_host, load_workspace(tx, project.id, id)?);
            if let (true, Some((component, config))) = (provisioned_writer, &target) {
                self.point_config_at(
                    tx,
                    auth,
                    (component, config),
                    vec![("db", workspace_db_parameter(&workspace))],
                    &format!("Provisioned workspace {id}"),
                )?;
            }
            record(
                tx,
                project.id,
                Some(&by),
                NewEvent {
                    event: "workspaces.created",
                    message: format!("Workspace {id} created"),
                    object_type: "workspace",
                    object_id: id.to_string(),
                    params: json!({
                        "componentId": new.component_id,
                        "configurationId": new.configuration_id,
                    }),
                },
            )?;
            Ok(workspace)
        });
        let workspace = match (workspace, sql_host, created_account.into_inner()) {
            (Ok(w), _, _) => w,
            (Err(e), Some(h), Some(account)) => {
                if let Err(drop_error) = h.drop_account(&account) {
                    tracing::warn!(
                        role = %account.user,
                        error = %drop_error,
                        "dropping the account of a workspace whose record was not stored failed"
                    );
                }
                return Err(e);
            }
            (Err(e), _, _) => return Err(e),
        };
        let mut workspace = workspace;
        workspace.connection.password = Some(password);
        Ok(workspace)
    }

    /// Refuses a new workspace (or a load) once the project's workspaces take
    /// `quotas.workspaceBytes` on disk; otherwise the bytes left under the quota.
    fn check_workspace_quota(&self, project: ProjectId, dir: &std::path::Path) -> Result<u64> {
        let quota = self.settings.quotas.workspace_bytes;
        let mut stored = 0u64;
        for entry in std::fs::read_dir(dir)? {
            let meta = entry?.metadata()?;
            if meta.is_file() {
                stored += meta.len();
            }
        }
        if stored >= quota {
            return Err(workspace_quota_exceeded(project, stored, quota));
        }
        Ok(quota - stored)
    }

    /// The project's workspaces.
    pub fn list_workspaces(&self, auth: &TokenAuth) -> Result<Vec<Workspace>> {
        auth.require_manage_buckets()?;
        let host = self.sql_host_of_id(auth.project())?;
        let all = self
            .store
            .read(|tx| tx.workspaces().list_workspaces(auth.project()))?;
        Ok(all
            .into_iter()
            .map(|w| self.present_workspace(host, w))
            .collect())
    }

    /// The workspaces created for a configuration (which must exist).
    pub fn list_config_workspaces(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Vec<Workspace>> {
        auth.require_manage_buckets()?;
        let host = self.sql_host_of_id(auth.project())?;
        self.store.read(|tx| {
            self.provisioning_target(tx, auth, component, config, None)?;
            let all = tx.workspaces().list_workspaces(auth.project())?;
            Ok(all
                .into_iter()
                .filter(|w| {
                    w.component_id.as_ref() == Some(component)
                        && w.configuration_id.as_ref() == Some(config)
                })
                .map(|w| self.present_workspace(host, w))
                .collect())
        })
    }

    /// One workspace.
    pub fn get_workspace(&self, auth: &TokenAuth, id: WorkspaceId) -> Result<Workspace> {
        auth.require_manage_buckets()?;
        let workspace = self.store.read(|c| load_workspace(c, auth.project(), id))?;
        Ok(self.present_workspace(self.sql_host_of_id(auth.project())?, workspace))
    }

    /// Drops a workspace and its database.
    pub fn delete_workspace(&self, auth: &TokenAuth, id: WorkspaceId) -> Result<()> {
        auth.require_manage_buckets()?;
        let project = auth.project();
        let by = auth.token_ref();
        let host = self.sql_host_of_id(project)?;
        let workspace = self.store.write(|tx| {
            let workspace = load_workspace(tx, project, id)?;
            tx.workspaces().delete_workspace(project, id)?;
            // The server's account goes first, inside the transaction: a workspace whose
            // login could not be dropped stays listed, to be deleted again.
            if let Some(h) = host {
                h.drop_account(&sql_workspace::account_of(&workspace))?;
            }
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "workspaces.deleted",
                    message: format!("Workspace {id} deleted"),
                    object_type: "workspace",
                    object_id: id.to_string(),
                    params: json!({}),
                },
            )?;
            Ok(workspace)
        })?;
        if host.is_none() {
            sqlite_workspace::remove(&self.dir.join(&workspace.connection.database), id);
        }
        Ok(())
    }

    /// Provisions a BI project in the stack's BI account for a BI writer configuration and
    /// points the configuration's `parameters.project` and `parameters.user` at it.
    pub fn create_bi_project(&self, auth: &TokenAuth, new: &NewBiProject) -> Result<BiProject> {
        let account = self.settings.bi_account.clone().ok_or_else(|| {
            Error::invalid(
                "provisioning.noBiAccount",
                "this stack has no BI account (biAccount in its stack.json), so it cannot \
                 provision BI projects",
            )
        })?;
        let project = auth.project();
        let (component, config) = (&new.component_id, &new.configuration_id);
        let pid = secret::random_string(32).to_lowercase();
        let login = format!("{pid}@{}", account.id);
        let password = secret::random_string(32);
        let by = auth.token_ref();
        self.store.write(|tx| {
            self.provisioning_target(tx, auth, component, config, Some(Provision::BiProject))?;
            let existing = tx
                .workspaces()
                .bi_project_of_config(project, component, config)?;
            if let Some(existing) = existing {
                return Err(Error::conflict(
                    "provisioning.biProjectExists",
                    format!(
                        "configuration {config} of {component} already has BI project {existing}"
                    ),
                ));
            }
            let name = match &new.name {
                Some(n) if !n.trim().is_empty() => n.clone(),
                _ => load_live_config(tx, project, component, config)?.name,
            };
            let sealed = self.seal_for_config(project, component, config, &password);
            let created_micros = tx.now_micros();
            tx.workspaces().insert_bi_project(&NewBiProjectRecord {
                project,
                pid: &pid,
                name: &name,
                account: &account.id,
                component,
                config,
                login: &login,
                sealed_password: &sealed,
                created_micros,
            })?;
            self.point_config_at(
                tx,
                auth,
                (component, config),
                vec![
                    ("project", json!({ "pid": pid, "account": account.id })),
                    ("user", json!({ "login": login, "#password": sealed })),
                ],
                &format!("Provisioned BI project {pid}"),
            )?;
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "provisioning.biProjectCreated",
                    message: format!("BI project {pid} provisioned in account {}", account.id),
                    object_type: "configuration",
                    object_id: format!("{component}/{config}"),
                    params: json!({ "pid": pid }),
                },
            )?;
            tx.workspaces()
                .get_bi_project(project, &pid)?
                .ok_or_else(|| {
                    Error::internal("provisioning", format!("BI project {pid} was not stored"))
                })
        })
    }

    /// Everything the stack provisioned for the project.
    pub fn list_provisioned(&self, auth: &TokenAuth) -> Result<Vec<ProvisionedResource>> {
        auth.require_manage_buckets()?;
        let workspaces = self.list_workspaces(auth)?;
        let stack_account = format!(
            "{}/{}",
            self.settings.id,
            self.get_project(auth.project())?.backend
        );
        let mut out: Vec<ProvisionedResource> = workspaces
            .into_iter()
            .map(|w| ProvisionedResource {
                kind: Provision::Workspace,
                id: w.id.to_string(),
                name: w.connection.schema,
                component_id: w.component_id,
                configuration_id: w.configuration_id,
                account: stack_account.clone(),
                created: w.created,
            })
            .collect();
        let bi: Vec<BiProject> = self
            .store
            .read(|tx| tx.workspaces().list_bi_projects(auth.project()))?;
        out.extend(bi.into_iter().map(|b| ProvisionedResource {
            kind: Provision::BiProject,
            id: b.id,
            name: b.name,
            component_id: Some(b.component_id),
            configuration_id: Some(b.configuration_id),
            account: b.account,
            created: b.created,
        }));
        Ok(out)
    }
}
