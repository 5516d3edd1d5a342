use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::{serde_rfc3339, Timestamp};

/// What a project member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum UserRole {
    Admin,
    Share,
    Guest,
    ReadOnly,
}

impl UserRole {
    /// The role as the API spells it (`readOnly`).
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Admin => "admin",
            UserRole::Share => "share",
            UserRole::Guest => "guest",
            UserRole::ReadOnly => "readOnly",
        }
    }
}

/// Whether the person has taken up the invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Invited,
    Active,
}

/// A member of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectUser {
    pub email: String,
    pub role: UserRole,
    pub status: UserStatus,
    /// When they were invited.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
}

/// Body of `POST /manage/projects/{id}/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectUser {
    pub email: String,
    pub role: UserRole,
}

/// Body of `PUT /manage/projects/{id}/users/{email}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectUserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<UserRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
}
