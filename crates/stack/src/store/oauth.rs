//! OAuth credentials of components, their secrets sealed.

use stackport_model::api::{OAuthCredentials, TokenRef};
use stackport_model::{ComponentId, CredentialsId, ProjectId};

use crate::error::Result;

/// Credentials to insert. `sealed_data` is the provider's answer already sealed by the stack's
/// keyring: the store never holds it open.
#[derive(Debug, Clone)]
pub struct NewOAuthRecord<'a> {
    pub project: ProjectId,
    pub component: &'a ComponentId,
    pub id: &'a CredentialsId,
    pub authorized_for: &'a str,
    pub sealed_data: &'a str,
    pub app_key: &'a str,
    pub oauth_version: &'a str,
    pub created_micros: i64,
    pub creator: &'a TokenRef,
}

/// OAuth credentials of components, their secrets sealed. Credentials are named by project,
/// component and id; the same id may be used by two components.
pub trait OAuthStore {
    /// Inserts credentials; an id the component already has in the project is refused.
    fn insert_oauth(&mut self, new: &NewOAuthRecord<'_>) -> Result<()>;
    /// The credentials, without their sealed part.
    fn get_oauth(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<Option<OAuthCredentials>>;
    /// The project's credentials of `component`, by creation time, then id; without their
    /// sealed parts.
    fn list_oauth(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
    ) -> Result<Vec<OAuthCredentials>>;
    /// The sealed part of the credentials, for the stack to open for a job.
    fn sealed_oauth_data(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<Option<String>>;
    /// Deletes the credentials; returns whether they existed.
    fn delete_oauth(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<bool>;
}
