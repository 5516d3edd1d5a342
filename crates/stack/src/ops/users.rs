//! Members of a project, managed by the stack administrator.

use rusqlite::{params, OptionalExtension};
use serde_json::json;
use stackport_model::api::{NewProjectUser, ProjectUser, ProjectUserUpdate, UserRole, UserStatus};
use stackport_model::ProjectId;

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::store::Tx;
use crate::Stack;

fn role_name(role: UserRole) -> &'static str {
    match role {
        UserRole::Admin => "admin",
        UserRole::Share => "share",
        UserRole::Guest => "guest",
        UserRole::ReadOnly => "readOnly",
    }
}

fn status_name(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Invited => "invited",
        UserStatus::Active => "active",
    }
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProjectUser> {
    let bad = |i: usize, v: String| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, v.into())
    };
    let role: String = r.get(1)?;
    let status: String = r.get(2)?;
    Ok(ProjectUser {
        email: r.get(0)?,
        role: serde_json::from_value(json!(role)).map_err(|_| bad(1, role))?,
        status: serde_json::from_value(json!(status)).map_err(|_| bad(2, status))?,
        created: super::time(r.get(3)?),
    })
}

/// E-mails are compared case-insensitively; stored lower-case.
fn normalize(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    match email.split_once('@') {
        Some((user, domain))
            if !user.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace) =>
        {
            Ok(email)
        }
        _ => Err(Error::invalid(
            "users.invalidEmail",
            format!("'{email}' is not an e-mail address"),
        )),
    }
}

fn load(c: &mut Tx<'_>, project: ProjectId, email: &str) -> Result<ProjectUser> {
    c.sql().query_row(
        "SELECT email, role, status, created FROM project_users WHERE project_id = ?1 AND email = ?2",
        params![project.0, email],
        from_row,
    )
    .optional()?
    .ok_or_else(|| Error::not_found("users.notFound", format!("{email} is not a member of project {project}")))
}

impl Stack {
    /// The members of a project.
    pub fn list_users(&self, project: ProjectId) -> Result<Vec<ProjectUser>> {
        self.get_project(project)?;
        self.store.read(|c| {
            let mut stmt = c.sql().prepare("SELECT email, role, status, created FROM project_users WHERE project_id = ?1 ORDER BY created, email")?;
            let rows = stmt.query_map([project.0], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The members of the token's own project. Only a master token may see who else is in the
    /// project; a migration needs the list to tell people whom to invite on the new stack.
    pub fn list_project_users(&self, auth: &TokenAuth) -> Result<Vec<ProjectUser>> {
        auth.require_master("list the project's members")?;
        self.list_users(auth.project())
    }

    /// Invites someone; they stay `invited` until they accept.
    pub fn invite_user(&self, project: ProjectId, new: &NewProjectUser) -> Result<ProjectUser> {
        self.get_project(project)?;
        let email = normalize(&new.email)?;
        self.store.write(|tx| {
            if load(tx, project, &email).is_ok() {
                return Err(Error::conflict("users.alreadyMember", format!("{email} is already a member of project {project}")));
            }
            tx.sql().execute(
                "INSERT INTO project_users (project_id, email, role, status, created) VALUES (?1, ?2, ?3, 'invited', ?4)",
                params![project.0, email, role_name(new.role), super::now_micros()],
            )?;
            record(tx, project, None, NewEvent {
                event: "users.invited",
                message: format!("{email} invited as {}", role_name(new.role)),
                object_type: "user",
                object_id: email.clone(),
                params: json!({ "role": new.role }),
            })?;
            load(tx, project, &email)
        })
    }

    /// Changes a member's role or status.
    pub fn update_user(
        &self,
        project: ProjectId,
        email: &str,
        update: &ProjectUserUpdate,
    ) -> Result<ProjectUser> {
        let email = normalize(email)?;
        self.store.write(|tx| {
            let current = load(tx, project, &email)?;
            tx.sql().execute(
                "UPDATE project_users SET role = ?3, status = ?4 WHERE project_id = ?1 AND email = ?2",
                params![
                    project.0,
                    email,
                    role_name(update.role.unwrap_or(current.role)),
                    status_name(update.status.unwrap_or(current.status))
                ],
            )?;
            load(tx, project, &email)
        })
    }

    /// Removes a member.
    pub fn remove_user(&self, project: ProjectId, email: &str) -> Result<()> {
        let email = normalize(email)?;
        self.store.write(|tx| {
            load(tx, project, &email)?;
            tx.sql().execute(
                "DELETE FROM project_users WHERE project_id = ?1 AND email = ?2",
                params![project.0, email],
            )?;
            record(
                tx,
                project,
                None,
                NewEvent {
                    event: "users.removed",
                    message: format!("{email} removed"),
                    object_type: "user",
                    object_id: email.clone(),
                    params: json!({}),
                },
            )
        })
    }
}
