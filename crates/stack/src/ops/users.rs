//! Members of a project, managed by the stack administrator.

use serde_json::json;
use stackport_model::api::{NewProjectUser, ProjectUser, ProjectUserUpdate, UserStatus};
use stackport_model::ProjectId;

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::store::{NewUserRecord, Tx};
use crate::Stack;

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

fn not_a_member(project: ProjectId, email: &str) -> Error {
    Error::not_found(
        "users.notFound",
        format!("{email} is not a member of project {project}"),
    )
}

fn load(tx: &mut Tx<'_>, project: ProjectId, email: &str) -> Result<ProjectUser> {
    tx.users()
        .get_user(project, email)?
        .ok_or_else(|| not_a_member(project, email))
}

impl Stack {
    /// The members of a project.
    pub fn list_users(&self, project: ProjectId) -> Result<Vec<ProjectUser>> {
        self.get_project(project)?;
        self.store.read(|tx| tx.users().list_users(project))
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
            if tx.users().get_user(project, &email)?.is_some() {
                return Err(Error::conflict(
                    "users.alreadyMember",
                    format!("{email} is already a member of project {project}"),
                ));
            }
            let created_micros = tx.now_micros();
            tx.users().insert_user(&NewUserRecord {
                project,
                email: &email,
                role: new.role,
                status: UserStatus::Invited,
                created_micros,
            })?;
            record(
                tx,
                project,
                None,
                NewEvent {
                    event: "users.invited",
                    message: format!("{email} invited as {}", new.role.as_str()),
                    object_type: "user",
                    object_id: email.clone(),
                    params: json!({ "role": new.role }),
                },
            )?;
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
            tx.users().update_user(
                project,
                &email,
                update.role.unwrap_or(current.role),
                update.status.unwrap_or(current.status),
            )?;
            load(tx, project, &email)
        })
    }

    /// Removes a member.
    pub fn remove_user(&self, project: ProjectId, email: &str) -> Result<()> {
        let email = normalize(email)?;
        self.store.write(|tx| {
            if !tx.users().delete_user(project, &email)? {
                return Err(not_a_member(project, &email));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize("  Ann.Lee@Example.COM ").unwrap(),
            "ann.lee@example.com"
        );
    }

    #[test]
    fn what_is_not_an_e_mail_is_refused() {
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@example",
            "ann lee@example.com",
        ] {
            let err = normalize(bad).unwrap_err();
            assert_eq!(err.code(), "users.invalidEmail", "{bad}");
        }
    }
}
