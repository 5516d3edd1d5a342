//! Provisioned resources: workspaces and BI projects.

use stackport_model::api::{BiProject, TokenRef, Workspace};
use stackport_model::{ComponentId, ConfigId, ProjectId, WorkspaceId};

use crate::error::Result;

/// A workspace to insert; the store mints its id. Its database, schema and user names derive
/// from the id, so they are set by [`WorkspaceStore::name_workspace`] in the same transaction.
#[derive(Debug, Clone)]
pub struct NewWorkspaceRecord<'a> {
    pub project: ProjectId,
    /// The configuration it is for, if any.
    pub config: Option<(&'a ComponentId, &'a ConfigId)>,
    pub backend: &'a str,
    pub host: &'a str,
    /// The password, sealed: the store keeps it as given.
    pub sealed_password: &'a str,
    pub created_micros: i64,
    pub creator: &'a TokenRef,
    /// What the creator asked for; kept and shown.
    pub options: &'a WorkspaceOptions,
}

/// A workspace's settings from its create request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceOptions {
    pub login_type: String,
    pub statement_timeout_seconds: Option<u64>,
    pub read_only_storage_access: bool,
    /// A PEM public key, checked by the stack.
    pub public_key: Option<String>,
}

/// Where a workspace's data is and who logs in to it.
#[derive(Debug, Clone)]
pub struct WorkspaceNames<'a> {
    pub database: &'a str,
    pub schema: &'a str,
    pub user: &'a str,
}

/// A BI project to insert: its id (`pid`) is chosen by the stack.
#[derive(Debug, Clone)]
pub struct NewBiProjectRecord<'a> {
    pub project: ProjectId,
    pub pid: &'a str,
    pub name: &'a str,
    pub account: &'a str,
    pub component: &'a ComponentId,
    pub config: &'a ConfigId,
    pub login: &'a str,
    /// Sealed; kept as given.
    pub sealed_password: &'a str,
    pub created_micros: i64,
}

/// Provisioned resources: workspaces and BI projects. Passwords come back sealed, as stored.
pub trait WorkspaceStore {
    /// Inserts a workspace with empty names; returns the id the store minted (never reused).
    fn insert_workspace(&mut self, new: &NewWorkspaceRecord<'_>) -> Result<WorkspaceId>;
    /// Sets a workspace's names; false if there is no such workspace.
    fn name_workspace(&mut self, id: WorkspaceId, names: &WorkspaceNames<'_>) -> Result<bool>;
    /// The workspace, if it is `project`'s.
    fn get_workspace(&mut self, project: ProjectId, id: WorkspaceId) -> Result<Option<Workspace>>;
    /// The project's workspaces, by id.
    fn list_workspaces(&mut self, project: ProjectId) -> Result<Vec<Workspace>>;
    /// Deletes the workspace's record; false if there was none.
    fn delete_workspace(&mut self, project: ProjectId, id: WorkspaceId) -> Result<bool>;
    /// Replaces the workspace's sealed password; false when there is no such workspace.
    fn set_workspace_password(
        &mut self,
        project: ProjectId,
        id: WorkspaceId,
        sealed_password: &str,
    ) -> Result<bool>;
    /// Replaces the workspace's public key; false when there is no such workspace.
    fn set_workspace_public_key(
        &mut self,
        project: ProjectId,
        id: WorkspaceId,
        public_key: &str,
    ) -> Result<bool>;
    /// The workspace's public key, if one was set.
    fn workspace_public_key(
        &mut self,
        project: ProjectId,
        id: WorkspaceId,
    ) -> Result<Option<String>>;

    /// Inserts a BI project; a `pid` the project has already is refused.
    fn insert_bi_project(&mut self, new: &NewBiProjectRecord<'_>) -> Result<()>;
    /// The BI project, if it is `project`'s.
    fn get_bi_project(&mut self, project: ProjectId, pid: &str) -> Result<Option<BiProject>>;
    /// The pid of the BI project provisioned for a configuration, if there is one.
    fn bi_project_of_config(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Option<String>>;
    /// The project's BI projects, oldest first.
    fn list_bi_projects(&mut self, project: ProjectId) -> Result<Vec<BiProject>>;
}
