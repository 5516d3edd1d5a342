use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::project::Project;
use super::stack::StackInfo;
use crate::ids::{BucketId, TokenId};
use crate::time::{serde_rfc3339, Timestamp};

/// What a token may do with one bucket.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
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
    /// Components whose configurations the token may use. A master token or one with
    /// `canManageBuckets` may use every component whatever this says; any other token exactly
    /// the ones listed (none when null).
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", from = "NewTokenBody")]
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

/// What `POST /v2/storage/tokens` reads: [`NewToken`] and the rights the reference platform
/// documents that a stack does not have. They are accepted and ignored, so a token asking for
/// them gets none of them: a stack's purge, branches, jobs and events follow the rights above.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct NewTokenBody {
    /// What the token is for.
    description: String,
    /// Seconds until it expires; never when left out. At most the creator's remaining life.
    #[serde(default)]
    expires_in: Option<u64>,
    /// See [`Token::can_manage_buckets`].
    #[serde(default)]
    can_manage_buckets: bool,
    /// See [`Token::can_manage_tokens`].
    #[serde(default)]
    can_manage_tokens: bool,
    /// See [`Token::can_read_all_file_uploads`].
    #[serde(default)]
    can_read_all_file_uploads: bool,
    /// See [`Token::bucket_permissions`].
    #[serde(default)]
    bucket_permissions: BTreeMap<BucketId, BucketPermission>,
    /// See [`Token::component_access`].
    #[serde(default)]
    component_access: Option<Vec<String>>,
    /// Accepted and ignored: purging the trash needs a master token.
    #[serde(default)]
    can_purge_trash: Option<bool>,
    /// Accepted and ignored: a stack has only the default branch.
    #[serde(default)]
    can_manage_protected_default_branch: Option<bool>,
    /// Accepted and ignored: a stack has only the default branch.
    #[serde(default)]
    can_manage_dev_branches: Option<bool>,
    /// Accepted and ignored: any token may queue jobs of configurations it may use.
    #[serde(default)]
    can_create_jobs: Option<bool>,
    /// Accepted and ignored: a token sees the events of the buckets it reaches.
    #[serde(default)]
    can_read_all_project_events: Option<bool>,
}

impl From<NewTokenBody> for NewToken {
    fn from(body: NewTokenBody) -> Self {
        let NewTokenBody {
            description,
            expires_in,
            can_manage_buckets,
            can_manage_tokens,
            can_read_all_file_uploads,
            bucket_permissions,
            component_access,
            can_purge_trash: _,
            can_manage_protected_default_branch: _,
            can_manage_dev_branches: _,
            can_create_jobs: _,
            can_read_all_project_events: _,
        } = body;
        NewToken {
            description,
            expires_in,
            can_manage_buckets,
            can_manage_tokens,
            can_read_all_file_uploads,
            bucket_permissions,
            component_access,
        }
    }
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
