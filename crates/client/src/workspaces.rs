//! Workspace loads and credentials, configuration workspaces, the project's branch and
//! reported events.

use reqwest::Method;
use stackport_model::api::*;
use stackport_model::{ComponentId, ConfigId, WorkspaceId};

use crate::{Client, Result};

impl Client {
    /// Loads Storage tables into a workspace (`load`), or copies whole tables (`load-clone`
    /// when `clone`): the storage job that does it (see [`Client::wait_for_storage_job`]).
    pub async fn load_workspace(
        &self,
        id: WorkspaceId,
        request: &WorkspaceLoadRequest,
        clone: bool,
    ) -> Result<StorageJob> {
        let kind = if clone { "load-clone" } else { "load" };
        self.post(&format!("/v2/storage/workspaces/{id}/{kind}"), request)
            .await
    }

    /// A new password for a workspace: shown only in this answer.
    pub async fn reset_workspace_password(&self, id: WorkspaceId) -> Result<WorkspacePassword> {
        self.json(self.request(
            Method::POST,
            &format!("/v2/storage/workspaces/{id}/password"),
        )?)
        .await
    }

    /// Sets the PEM public key a workspace's user may log in with.
    pub async fn set_workspace_public_key(
        &self,
        id: WorkspaceId,
        public_key: &str,
    ) -> Result<Workspace> {
        self.post(
            &format!("/v2/storage/workspaces/{id}/public-key"),
            &WorkspacePublicKey {
                public_key: public_key.to_string(),
            },
        )
        .await
    }

    /// The workspaces created for a configuration.
    pub async fn list_config_workspaces(
        &self,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Vec<Workspace>> {
        self.get(&format!(
            "/v2/storage/branch/default/components/{component}/configs/{config}/workspaces"
        ))
        .await
    }

    /// Provisions a workspace for a configuration.
    pub async fn create_config_workspace(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        new: &NewWorkspace,
    ) -> Result<Workspace> {
        self.post(
            &format!(
                "/v2/storage/branch/default/components/{component}/configs/{config}/workspaces"
            ),
            new,
        )
        .await
    }

    /// The project's branches: its main one.
    pub async fn list_branches(&self) -> Result<Vec<Branch>> {
        self.get("/v2/storage/dev-branches").await
    }

    /// A branch by `default` or its id.
    pub async fn get_branch(&self, id: &str) -> Result<Branch> {
        self.get(&format!("/v2/storage/dev-branches/{id}")).await
    }

    /// Records an event about a component's run.
    pub async fn create_event(&self, new: &NewExternalEvent) -> Result<Event> {
        self.post("/v2/storage/events", new).await
    }
}
