//! The people invited to a project.

use stackport_model::api::{ProjectUser, UserRole, UserStatus};
use stackport_model::ProjectId;

use crate::error::Result;

/// A member to insert.
#[derive(Debug, Clone)]
pub struct NewUserRecord<'a> {
    pub project: ProjectId,
    pub email: &'a str,
    pub role: UserRole,
    pub status: UserStatus,
    pub created_micros: i64,
}

/// The people invited to a project. E-mails are compared regardless of case and kept
/// lower-case: `Ann@Example.com` and `ann@example.com` are one member.
pub trait UserStore {
    /// Inserts a member; an e-mail already in the project (in any case) is refused.
    fn insert_user(&mut self, new: &NewUserRecord<'_>) -> Result<()>;
    /// The member with `email` (in any case), if any.
    fn get_user(&mut self, project: ProjectId, email: &str) -> Result<Option<ProjectUser>>;
    /// The project's members, by when they were invited, then by e-mail.
    fn list_users(&mut self, project: ProjectId) -> Result<Vec<ProjectUser>>;
    /// Sets a member's role and status; returns whether the member exists.
    fn update_user(
        &mut self,
        project: ProjectId,
        email: &str,
        role: UserRole,
        status: UserStatus,
    ) -> Result<bool>;
    /// Removes a member; returns whether the member existed.
    fn delete_user(&mut self, project: ProjectId, email: &str) -> Result<bool>;
}
