//! The people invited to a project.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{ProjectUser, UserRole, UserStatus};
use stackport_model::ProjectId;
use stackport_stack::store::{NewUserRecord, UserStore};
use stackport_stack::Result;

use crate::SqliteTx;

const COLUMNS: &str = "email, role, status, created";

/// E-mails are kept lower-case, so the primary key (project, email) holds regardless of case.
fn key(email: &str) -> String {
    email.to_lowercase()
}

fn status_name(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Invited => "invited",
        UserStatus::Active => "active",
    }
}

/// Reads an enum column stored by its API name (`readOnly`, `invited`).
fn parse_name<T: serde::de::DeserializeOwned>(
    r: &rusqlite::Row<'_>,
    i: usize,
) -> rusqlite::Result<T> {
    let name: String = r.get(i)?;
    serde_json::from_value(serde_json::Value::String(name)).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProjectUser> {
    Ok(ProjectUser {
        email: r.get(0)?,
        role: parse_name(r, 1)?,
        status: parse_name(r, 2)?,
        created: stackport_model::time::from_micros(r.get(3)?),
    })
}

impl UserStore for SqliteTx<'_> {
    fn insert_user(&mut self, new: &NewUserRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO project_users (project_id, email, role, status, created) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                new.project.0,
                key(new.email),
                new.role.as_str(),
                status_name(new.status),
                new.created_micros
            ],
        )?;
        Ok(())
    }

    fn get_user(&mut self, project: ProjectId, email: &str) -> Result<Option<ProjectUser>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM project_users WHERE project_id = ?1 AND email = ?2"
            ))?
            .query_row(params![project.0, key(email)], from_row)
            .optional()?)
    }

    fn list_users(&mut self, project: ProjectId) -> Result<Vec<ProjectUser>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM project_users WHERE project_id = ?1 ORDER BY created, email"
        ))?;
        let rows = stmt.query_map([project.0], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn update_user(
        &mut self,
        project: ProjectId,
        email: &str,
        role: UserRole,
        status: UserStatus,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE project_users SET role = ?3, status = ?4 WHERE project_id = ?1 AND email = ?2",
            params![project.0, key(email), role.as_str(), status_name(status)],
        )? > 0)
    }

    fn delete_user(&mut self, project: ProjectId, email: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM project_users WHERE project_id = ?1 AND email = ?2",
            params![project.0, key(email)],
        )? > 0)
    }
}
