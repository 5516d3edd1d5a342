//! Storage API tokens and manage tokens, stored hashed.
//!
//! The store never sees a token's secret: only its [`TokenHash`], which is all a request's
//! token is looked up by.

use std::collections::BTreeMap;

use stackport_model::api::{BucketPermission, TokenRef};
use stackport_model::{BucketId, ProjectId, TokenId};

use crate::error::Result;

/// The stored form of a token's secret. Made only from the secret, so a plaintext token cannot
/// be handed to the store by mistake where a hash belongs.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    /// The hash of `secret`.
    pub fn of(secret: &str) -> TokenHash {
        TokenHash(crate::secret::hash_token(secret))
    }

    /// The hash as text, for the store to keep and compare.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TokenHash {
    // A hash is not a secret, but a log has no use for it either.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A Storage token as stored (without its secret, which is only ever hashed). Times are
/// microseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub project: ProjectId,
    pub description: String,
    pub created: i64,
    /// Never, when `None`.
    pub expires: Option<i64>,
    pub is_master: bool,
    pub can_manage_buckets: bool,
    pub can_manage_tokens: bool,
    pub can_read_all_file_uploads: bool,
    pub bucket_permissions: BTreeMap<BucketId, BucketPermission>,
    /// The components whose configurations the token may use; `None` is no list at all.
    pub component_access: Option<Vec<String>>,
    /// The token that made this one; none for tokens the stack administrator issues.
    pub creator: Option<TokenRef>,
}

/// A Storage token to insert; the store mints its id.
#[derive(Debug, Clone)]
pub struct NewTokenRecord<'a> {
    pub project: ProjectId,
    pub description: &'a str,
    pub created_micros: i64,
    pub expires_micros: Option<i64>,
    pub is_master: bool,
    pub can_manage_buckets: bool,
    pub can_manage_tokens: bool,
    pub can_read_all_file_uploads: bool,
    pub bucket_permissions: &'a BTreeMap<BucketId, BucketPermission>,
    pub component_access: Option<&'a [String]>,
    pub creator: Option<&'a TokenRef>,
}

/// A manage token (the stack administrator's) to insert.
#[derive(Debug, Clone)]
pub struct NewManageTokenRecord<'a> {
    pub hash: &'a TokenHash,
    /// Where it came from: `from environment`, `first start`.
    pub description: &'a str,
    pub created_micros: i64,
}

/// Storage API tokens and manage tokens, stored hashed.
pub trait TokenStore {
    /// Inserts a Storage token and returns the id the store minted for it. A token's secret
    /// embeds its id, so the store asks `hash_of` for the hash once the id is known; the token
    /// is never found without it. Ids are never reused.
    fn insert_token(
        &mut self,
        new: &NewTokenRecord<'_>,
        hash_of: &mut dyn FnMut(TokenId) -> TokenHash,
    ) -> Result<TokenId>;
    /// The token whose secret hashes to `hash`, whatever its project; the one way a request's
    /// token is found.
    fn token_by_hash(&mut self, hash: &TokenHash) -> Result<Option<TokenRecord>>;
    /// Token `id` of `project`, if it is one of that project's.
    fn get_token(&mut self, project: ProjectId, id: TokenId) -> Result<Option<TokenRecord>>;
    /// The project's tokens, by id.
    fn list_tokens(&mut self, project: ProjectId) -> Result<Vec<TokenRecord>>;
    /// Deletes token `id` of `project`; returns whether it existed.
    fn delete_token(&mut self, project: ProjectId, id: TokenId) -> Result<bool>;

    /// Inserts a manage token; a hash already stored is refused.
    fn insert_manage_token(&mut self, new: &NewManageTokenRecord<'_>) -> Result<()>;
    /// Whether a manage token hashes to `hash`.
    fn manage_token_exists(&mut self, hash: &TokenHash) -> Result<bool>;
    /// Whether the stack has any manage token.
    fn any_manage_token(&mut self) -> Result<bool>;
    /// Deletes every manage token; returns how many there were.
    fn delete_manage_tokens(&mut self) -> Result<u64>;
}
