//! OAuth credentials, SSH keys, orchestrations, project users and provisioned resources.

use stackport_model::api::*;
use stackport_model::{ComponentId, CredentialsId, OrchestrationId, ProjectId, WorkspaceId};

use crate::{Client, Result};

impl Client {
    /// OAuth credentials of a component.
    pub async fn list_oauth_credentials(
        &self,
        component: &ComponentId,
    ) -> Result<Vec<OAuthCredentials>> {
        self.get(&format!("/v2/oauth/credentials/{component}"))
            .await
    }

    /// Stores OAuth credentials.
    pub async fn create_oauth_credentials(
        &self,
        component: &ComponentId,
        new: &NewOAuthCredentials,
    ) -> Result<OAuthCredentials> {
        self.post(&format!("/v2/oauth/credentials/{component}"), new)
            .await
    }

    /// One set of OAuth credentials.
    pub async fn get_oauth_credentials(
        &self,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<OAuthCredentials> {
        self.get(&format!("/v2/oauth/credentials/{component}/{id}"))
            .await
    }

    /// Forgets OAuth credentials.
    pub async fn delete_oauth_credentials(
        &self,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<()> {
        self.delete(&format!("/v2/oauth/credentials/{component}/{id}"), &[])
            .await
    }

    /// Generates an SSH key pair.
    pub async fn generate_ssh_key(&self, new: &NewSshKey) -> Result<SshKeyPair> {
        self.post("/v2/ssh/keys", new).await
    }

    /// The project's orchestrations.
    pub async fn list_orchestrations(&self) -> Result<Vec<Orchestration>> {
        self.get("/v2/orchestrations").await
    }

    /// Creates an orchestration.
    pub async fn create_orchestration(&self, new: &NewOrchestration) -> Result<Orchestration> {
        self.post("/v2/orchestrations", new).await
    }

    /// One orchestration.
    pub async fn get_orchestration(&self, id: OrchestrationId) -> Result<Orchestration> {
        self.get(&format!("/v2/orchestrations/{id}")).await
    }

    /// Changes an orchestration.
    pub async fn update_orchestration(
        &self,
        id: OrchestrationId,
        update: &OrchestrationUpdate,
    ) -> Result<Orchestration> {
        self.put(&format!("/v2/orchestrations/{id}"), update).await
    }

    /// Deletes an orchestration.
    pub async fn delete_orchestration(&self, id: OrchestrationId) -> Result<()> {
        self.delete(&format!("/v2/orchestrations/{id}"), &[]).await
    }

    /// Members of a project (manage token).
    pub async fn list_users(&self, project: ProjectId) -> Result<Vec<ProjectUser>> {
        self.get(&format!("/manage/projects/{project}/users")).await
    }

    /// Members of the token's own project (master Storage token).
    pub async fn list_project_users(&self) -> Result<Vec<ProjectUser>> {
        self.get("/v2/storage/users").await
    }

    /// The project's metadata.
    pub async fn project_metadata(&self) -> Result<Vec<MetadataEntry>> {
        self.get("/v2/storage/branch/default/metadata").await
    }

    /// Writes the project's metadata (master token).
    pub async fn write_project_metadata(
        &self,
        write: &MetadataWrite,
    ) -> Result<Vec<MetadataEntry>> {
        self.post("/v2/storage/branch/default/metadata", write)
            .await
    }

    /// Invites someone to a project (manage token).
    pub async fn invite_user(
        &self,
        project: ProjectId,
        new: &NewProjectUser,
    ) -> Result<ProjectUser> {
        self.post(&format!("/manage/projects/{project}/users"), new)
            .await
    }

    /// Changes a member (manage token).
    pub async fn update_user(
        &self,
        project: ProjectId,
        email: &str,
        update: &ProjectUserUpdate,
    ) -> Result<ProjectUser> {
        self.put(&format!("/manage/projects/{project}/users/{email}"), update)
            .await
    }

    /// Removes a member (manage token).
    pub async fn remove_user(&self, project: ProjectId, email: &str) -> Result<()> {
        self.delete(&format!("/manage/projects/{project}/users/{email}"), &[])
            .await
    }

    /// The project's workspaces.
    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>> {
        self.get("/v2/storage/workspaces").await
    }

    /// Provisions a workspace.
    pub async fn create_workspace(&self, new: &NewWorkspace) -> Result<Workspace> {
        self.post("/v2/storage/workspaces", new).await
    }

    /// One workspace.
    pub async fn get_workspace(&self, id: WorkspaceId) -> Result<Workspace> {
        self.get(&format!("/v2/storage/workspaces/{id}")).await
    }

    /// Drops a workspace.
    pub async fn delete_workspace(&self, id: WorkspaceId) -> Result<()> {
        self.delete(&format!("/v2/storage/workspaces/{id}"), &[])
            .await
    }

    /// Provisions a BI project for a BI writer configuration.
    pub async fn create_bi_project(&self, new: &NewBiProject) -> Result<BiProject> {
        self.post("/v2/storage/bi-projects", new).await
    }

    /// Everything the stack provisioned for the project.
    pub async fn list_provisioned(&self) -> Result<Vec<ProvisionedResource>> {
        self.get("/v2/storage/provisioned").await
    }
}
