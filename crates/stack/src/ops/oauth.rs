//! OAuth credentials: what a provider handed back when a user authorized the stack's OAuth
//! application for a component. The tokens are sealed at once and never shown again;
//! configurations point at them with `authorization.oauth_api.id`.

use serde_json::json;
use stackport_model::api::{NewOAuthCredentials, OAuthCredentials};
use stackport_model::{ComponentId, CredentialsId, ProjectId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::secrets::{Binding, Scope};
use crate::store::{NewOAuthRecord, Tx};
use crate::Stack;

fn credentials_not_found(component: &ComponentId, id: &CredentialsId) -> Error {
    Error::not_found(
        "oauth.credentialsNotFound",
        format!("OAuth credentials {id} of component {component} not found in this project"),
    )
}

fn load(
    tx: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    id: &CredentialsId,
) -> Result<OAuthCredentials> {
    tx.oauth()
        .get_oauth(project, component, id)?
        .ok_or_else(|| credentials_not_found(component, id))
}

/// The credentials' own binding: the sealed tokens open only as these credentials.
fn binding(project: ProjectId, component: &ComponentId, id: &CredentialsId) -> Binding {
    Binding {
        project: Some(project.0),
        component: Some(component.to_string()),
        config: Some(format!("oauth/{id}")),
    }
}

impl Stack {
    /// Stores credentials a user authorized; the provider's answer is sealed.
    pub fn create_oauth_credentials(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        new: &NewOAuthCredentials,
    ) -> Result<OAuthCredentials> {
        auth.require_component(component)?;
        let app = self.registry.require(component)?.oauth.ok_or_else(|| {
            Error::invalid(
                "oauth.notSupported",
                format!("component {component} does not authorize with OAuth on this stack"),
            )
        })?;
        if !new.data.is_object() {
            return Err(Error::invalid(
                "oauth.invalidData",
                "data must be the provider's answer as a JSON object (access and refresh tokens)",
            ));
        }
        let project = auth.project();
        let sealed = self.keyring.seal(
            Scope::Config,
            &binding(project, component, &new.id),
            &new.data.to_string(),
        );
        let by = auth.token_ref();
        self.store.write(|tx| {
            if tx.oauth().get_oauth(project, component, &new.id)?.is_some() {
                return Err(Error::conflict(
                    "oauth.credentialsExist",
                    format!(
                        "OAuth credentials {} of component {component} already exist; choose \
                         another id",
                        new.id
                    ),
                ));
            }
            let created_micros = tx.now_micros();
            tx.oauth().insert_oauth(&NewOAuthRecord {
                project,
                component,
                id: &new.id,
                authorized_for: &new.authorized_for,
                sealed_data: &sealed,
                app_key: &app.app_key,
                oauth_version: &app.version,
                created_micros,
                creator: &by,
            })?;
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "oauth.credentialsCreated",
                    message: format!("OAuth credentials {} of {component} created", new.id),
                    object_type: "oauthCredentials",
                    object_id: format!("{component}/{}", new.id),
                    params: json!({
                        "componentId": component,
                        "authorizedFor": new.authorized_for
                    }),
                },
            )?;
            load(tx, project, component, &new.id)
        })
    }

    /// The project's credentials of a component.
    pub fn list_oauth_credentials(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
    ) -> Result<Vec<OAuthCredentials>> {
        auth.require_component(component)?;
        self.store
            .read(|tx| tx.oauth().list_oauth(auth.project(), component))
    }

    /// One set of credentials, without its secret part.
    pub fn get_oauth_credentials(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<OAuthCredentials> {
        auth.require_component(component)?;
        self.store
            .read(|tx| load(tx, auth.project(), component, id))
    }

    /// Forgets credentials; configurations pointing at them need a new authorization.
    pub fn delete_oauth_credentials(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<()> {
        auth.require_component(component)?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            if !tx.oauth().delete_oauth(project, component, id)? {
                return Err(credentials_not_found(component, id));
            }
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "oauth.credentialsDeleted",
                    message: format!("OAuth credentials {id} of {component} deleted"),
                    object_type: "oauthCredentials",
                    object_id: format!("{component}/{id}"),
                    params: json!({}),
                },
            )
        })
    }

    /// The provider's answer, opened, for the stack's own job runner; never for an API answer.
    pub fn open_oauth_credentials(
        &self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<serde_json::Value> {
        let sealed = self
            .store
            .read(|tx| tx.oauth().sealed_oauth_data(project, component, id))?
            .ok_or_else(|| {
                Error::not_found(
                    "oauth.credentialsNotFound",
                    format!("OAuth credentials {id} of component {component} not found"),
                )
            })?;
        let plain = self
            .keyring
            .open(&binding(project, component, id), &sealed)
            .map_err(|_| {
                Error::internal(
                    "opening OAuth credentials",
                    format!("credentials {id} of {component} do not open with this stack's key"),
                )
            })?;
        Ok(serde_json::from_str(&plain)?)
    }
}
