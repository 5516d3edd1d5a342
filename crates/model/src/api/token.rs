use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::project::Project;
use super::stack::StackInfo;
use crate::ids::{BucketId, TokenId};
use crate::time::{serde_rfc3339, Timestamp};

/// What a token may do with one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BucketPermission {
    /// List and export.
    Read,
    /// Read, plus create tables, import, write metadata.
    Write,
    /// Write, plus delete the bucket and its tables.
    Manage,
}

/// The token that did something, as shown on objects and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRef {
    /// The token's id.
    pub id: TokenId,
    /// Its description.
    pub description: String,
}

/// A Storage API token as the API shows it; the secret only in the answer to its creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// The token's id.
    pub id: TokenId,
    /// What the token is for.
    pub description: String,
    /// When it was created.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// When it stops working; never when null.
    #[serde(with = "serde_rfc3339::option", default)]
    pub expires: Option<Timestamp>,
    /// Whether `expires` has passed.
    pub is_expired: bool,
    /// A master token may do everything in its project.
    pub is_master_token: bool,
    /// May create and delete buckets (and so reach every bucket).
    pub can_manage_buckets: bool,
    /// May create, list and delete other tokens.
    pub can_manage_tokens: bool,
    /// May see files uploaded by other tokens.
    pub can_read_all_file_uploads: bool,
    /// Rights on single buckets, for tokens without `canManageBuckets`.
    pub bucket_permissions: BTreeMap<BucketId, BucketPermission>,
    /// Components whose configurations the token may use; all when null.
    #[serde(default)]
    pub component_access: Option<Vec<String>>,
    /// The token that created this one.
    #[serde(default)]
    pub creator_token: Option<TokenRef>,
    /// The secret, present only in the answer that created the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// Body of `POST /v2/storage/tokens`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewToken {
    /// What the token is for.
    pub description: String,
    /// Seconds until it expires; never when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// See [`Token::can_manage_buckets`].
    #[serde(default)]
    pub can_manage_buckets: bool,
    /// See [`Token::can_manage_tokens`].
    #[serde(default)]
    pub can_manage_tokens: bool,
    /// See [`Token::can_read_all_file_uploads`].
    #[serde(default)]
    pub can_read_all_file_uploads: bool,
    /// See [`Token::bucket_permissions`].
    #[serde(default)]
    pub bucket_permissions: BTreeMap<BucketId, BucketPermission>,
    /// See [`Token::component_access`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_access: Option<Vec<String>>,
}

/// Answer of `GET /v2/storage/tokens/verify`: the token and who it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedToken {
    /// The calling token.
    #[serde(flatten)]
    pub token: Token,
    /// The project the token belongs to.
    pub owner: Project,
    /// The stack the project lives on.
    pub stack: StackInfo,
}
