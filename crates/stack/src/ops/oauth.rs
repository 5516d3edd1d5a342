//! OAuth credentials: what a provider handed back when a user authorized the stack's OAuth
//! application for a component. The tokens are sealed at once and never shown again;
//! configurations point at them with `authorization.oauth_api.id`.

use rusqlite::{params, OptionalExtension};
use serde_json::json;
use stackport_model::api::{NewOAuthCredentials, OAuthCredentials, TokenRef};
use stackport_model::{ComponentId, CredentialsId, ProjectId, TokenId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::secrets::{Binding, Scope};
use crate::store::sqlrow::parse_column;
use crate::store::Tx;
use crate::Stack;

const COLUMNS: &str = "component_id, id, authorized_for, app_key, oauth_version, created, \
    creator_token_id, creator_description";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OAuthCredentials> {
    Ok(OAuthCredentials {
        component_id: parse_column(r, 0)?,
        id: parse_column(r, 1)?,
        authorized_for: r.get(2)?,
        app_key: r.get(3)?,
        oauth_version: r.get(4)?,
        created: super::time(r.get(5)?),
        creator: TokenRef {
            id: TokenId(r.get(6)?),
            description: r.get(7)?,
        },
    })
}

fn load(
    c: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    id: &CredentialsId,
) -> Result<OAuthCredentials> {
    c.sql().query_row(
        &format!("SELECT {COLUMNS} FROM oauth_credentials WHERE project_id = ?1 AND component_id = ?2 AND id = ?3"),
        params![project.0, component.as_str(), id.as_str()],
        from_row,
    )
    .optional()?
    .ok_or_else(|| {
        Error::not_found(
            "oauth.credentialsNotFound",
            format!("OAuth credentials {id} of component {component} not found in this project"),
        )
    })
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
            if load(tx, project, component, &new.id).is_ok() {
                return Err(Error::conflict(
                    "oauth.credentialsExist",
                    format!("OAuth credentials {} of component {component} already exist; choose another id", new.id),
                ));
            }
            tx.sql().execute(
                "INSERT INTO oauth_credentials (project_id, component_id, id, authorized_for, sealed_data,
                 app_key, oauth_version, created, creator_token_id, creator_description)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    project.0,
                    component.as_str(),
                    new.id.as_str(),
                    new.authorized_for,
                    sealed,
                    app.app_key,
                    app.version,
                    super::now_micros(),
                    by.id.0,
                    by.description
                ],
            )?;
            record(tx, project, Some(&by), NewEvent {
                event: "oauth.credentialsCreated",
                message: format!("OAuth credentials {} of {component} created", new.id),
                object_type: "oauthCredentials",
                object_id: format!("{component}/{}", new.id),
                params: json!({ "componentId": component, "authorizedFor": new.authorized_for }),
            })?;
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
        self.store.read(|c| {
            let mut stmt = c.sql().prepare(&format!(
                "SELECT {COLUMNS} FROM oauth_credentials WHERE project_id = ?1 AND component_id = ?2 ORDER BY created, id"
            ))?;
            let rows = stmt.query_map(params![auth.project().0, component.as_str()], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One set of credentials, without its secret part.
    pub fn get_oauth_credentials(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<OAuthCredentials> {
        auth.require_component(component)?;
        self.store.read(|c| load(c, auth.project(), component, id))
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
            load(tx, project, component, id)?;
            tx.sql().execute(
                "DELETE FROM oauth_credentials WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![project.0, component.as_str(), id.as_str()],
            )?;
            record(tx, project, Some(&by), NewEvent {
                event: "oauth.credentialsDeleted",
                message: format!("OAuth credentials {id} of {component} deleted"),
                object_type: "oauthCredentials",
                object_id: format!("{component}/{id}"),
                params: json!({}),
            })
        })
    }

    /// The provider's answer, opened, for the stack's own job runner; never for an API answer.
    pub fn open_oauth_credentials(
        &self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<serde_json::Value> {
        let sealed: String = self.store.read(|c| {
            c.sql().query_row(
                "SELECT sealed_data FROM oauth_credentials WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![project.0, component.as_str(), id.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::not_found("oauth.credentialsNotFound", format!("OAuth credentials {id} of component {component} not found")))
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
