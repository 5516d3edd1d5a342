//! OAuth credentials of components, their secrets sealed.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{OAuthCredentials, TokenRef};
use stackport_model::{ComponentId, CredentialsId, ProjectId, TokenId};
use stackport_stack::store::{NewOAuthRecord, OAuthStore};
use stackport_stack::Result;

use crate::row::parse_column;
use crate::SqliteTx;

/// Every column but `sealed_data`, which only [`OAuthStore::sealed_oauth_data`] reads.
const COLUMNS: &str = "component_id, id, authorized_for, app_key, oauth_version, created, \
    creator_token_id, creator_description";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OAuthCredentials> {
    Ok(OAuthCredentials {
        component_id: parse_column(r, 0)?,
        id: parse_column(r, 1)?,
        authorized_for: r.get(2)?,
        app_key: r.get(3)?,
        oauth_version: r.get(4)?,
        created: stackport_model::time::from_micros(r.get(5)?),
        creator: TokenRef {
            id: TokenId(r.get(6)?),
            description: r.get(7)?,
        },
    })
}

impl OAuthStore for SqliteTx<'_> {
    fn insert_oauth(&mut self, new: &NewOAuthRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO oauth_credentials (project_id, component_id, id, authorized_for, \
             sealed_data, app_key, oauth_version, created, creator_token_id, \
             creator_description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                new.project.0,
                new.component.as_str(),
                new.id.as_str(),
                new.authorized_for,
                new.sealed_data,
                new.app_key,
                new.oauth_version,
                new.created_micros,
                new.creator.id.0,
                new.creator.description,
            ],
        )?;
        Ok(())
    }

    fn get_oauth(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<Option<OAuthCredentials>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM oauth_credentials \
                 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3"
            ))?
            .query_row(
                params![project.0, component.as_str(), id.as_str()],
                from_row,
            )
            .optional()?)
    }

    fn list_oauth(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
    ) -> Result<Vec<OAuthCredentials>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM oauth_credentials WHERE project_id = ?1 AND component_id = ?2 \
             ORDER BY created, id"
        ))?;
        let rows = stmt.query_map(params![project.0, component.as_str()], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn sealed_oauth_data(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT sealed_data FROM oauth_credentials \
                 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![project.0, component.as_str(), id.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn delete_oauth(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        id: &CredentialsId,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM oauth_credentials WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
            params![project.0, component.as_str(), id.as_str()],
        )? > 0)
    }
}
