//! The project's one branch, in the reference's development-branch shape: a stack has no
//! development branches, so every project has just its main one.

use serde::{Deserialize, Serialize};

use super::token::TokenRef;
use crate::time::{serde_rfc3339, Timestamp};

/// A project's one branch, as the reference's development-branch answers show its main one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    /// The project's id: a stack has one branch per project.
    pub id: u64,
    /// Always `Main`.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Always true.
    pub is_default: bool,
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// The project's first token; none when it is gone.
    pub creator_token: Option<TokenRef>,
}
