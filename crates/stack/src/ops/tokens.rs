//! Storage API tokens of a project.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Row};
use serde_json::json;
use stackport_model::api::{BucketPermission, NewToken, Token, TokenRef, VerifiedToken};
use stackport_model::{BucketId, ProjectId, TokenId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use super::grant::check_grant;
use crate::error::{Error, Result};
use crate::store::sqlrow::{from_json, to_json};
use crate::store::Tx;
use crate::{secret, Stack};

pub(crate) const TOKEN_COLUMNS: &str = "id, project_id, description, created, expires, is_master, \
    can_manage_buckets, can_manage_tokens, can_read_all_file_uploads, bucket_permissions, component_access, \
    creator_token_id, creator_description";

/// A token as stored (without its secret, which is only ever hashed).
#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    pub id: TokenId,
    pub project: ProjectId,
    pub description: String,
    pub created: i64,
    pub expires: Option<i64>,
    pub is_master: bool,
    pub can_manage_buckets: bool,
    pub can_manage_tokens: bool,
    pub can_read_all_file_uploads: bool,
    pub bucket_permissions: BTreeMap<BucketId, BucketPermission>,
    pub component_access: Option<Vec<String>>,
    pub creator: Option<TokenRef>,
}

impl TokenRecord {
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let creator_id: Option<u64> = r.get(11)?;
        Ok(TokenRecord {
            id: TokenId(r.get(0)?),
            project: ProjectId(r.get(1)?),
            description: r.get(2)?,
            created: r.get(3)?,
            expires: r.get(4)?,
            is_master: r.get(5)?,
            can_manage_buckets: r.get(6)?,
            can_manage_tokens: r.get(7)?,
            can_read_all_file_uploads: r.get(8)?,
            bucket_permissions: from_json(&r.get::<_, String>(9)?)?,
            component_access: r
                .get::<_, Option<String>>(10)?
                .map(|s| from_json(&s))
                .transpose()?,
            creator: creator_id.map(|id| TokenRef {
                id: TokenId(id),
                description: r
                    .get::<_, Option<String>>(12)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            }),
        })
    }

    pub(crate) fn is_expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }

    pub(crate) fn to_api(&self, secret: Option<String>) -> Token {
        Token {
            id: self.id,
            description: self.description.clone(),
            created: super::time(self.created),
            expires: self.expires.map(super::time),
            is_expired: self.is_expired(super::now_micros()),
            is_master_token: self.is_master,
            can_manage_buckets: self.is_master || self.can_manage_buckets,
            can_manage_tokens: self.is_master || self.can_manage_tokens,
            can_read_all_file_uploads: self.is_master || self.can_read_all_file_uploads,
            bucket_permissions: self.bucket_permissions.clone(),
            component_access: self.component_access.clone(),
            creator_token: self.creator.clone(),
            token: secret,
        }
    }
}

/// Inserts a master token the stack administrator issues (never expiring) and returns it with
/// its secret.
pub(crate) fn insert_token(
    tx: &mut Tx<'_>,
    project: ProjectId,
    new: &NewToken,
    is_master: bool,
    creator: Option<&TokenRef>,
) -> Result<Token> {
    insert_token_at(
        tx,
        project,
        new,
        (super::now_micros(), None),
        is_master,
        creator,
    )
}

/// Inserts a token, made at `now` and expiring at `expires`, and returns it with its secret. The
/// secret embeds the token's id, so the row is written first and its hash set once the id is
/// known, in the same transaction. `new.expires_in` is not read: the caller has turned it into
/// `expires` (see [`check_grant`]).
fn insert_token_at(
    tx: &mut Tx<'_>,
    project: ProjectId,
    new: &NewToken,
    (now, expires): (i64, Option<i64>),
    is_master: bool,
    creator: Option<&TokenRef>,
) -> Result<Token> {
    let placeholder = format!("pending-{}", secret::random_string(32));
    tx.sql().execute(
        "INSERT INTO tokens (project_id, hash, description, created, expires, is_master, can_manage_buckets,
         can_manage_tokens, can_read_all_file_uploads, bucket_permissions, component_access, creator_token_id,
         creator_description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            project.0,
            placeholder,
            new.description,
            now,
            expires,
            is_master,
            new.can_manage_buckets,
            new.can_manage_tokens,
            new.can_read_all_file_uploads,
            to_json(&new.bucket_permissions),
            new.component_access.as_ref().map(to_json),
            creator.map(|c| c.id.0),
            creator.map(|c| c.description.clone()),
        ],
    )?;
    let id = TokenId(tx.sql().last_insert_rowid() as u64);
    let token = secret::storage_token(project.0, id.0);
    tx.sql().execute(
        "UPDATE tokens SET hash = ?2 WHERE id = ?1",
        params![id.0, secret::hash_token(&token)],
    )?;
    let record = tx.sql().query_row(
        &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1"),
        [id.0],
        TokenRecord::from_row,
    )?;
    record_token_event(
        tx,
        project,
        creator,
        "storage.tokenCreated",
        &record,
        "created",
    )?;
    Ok(record.to_api(Some(token)))
}

fn record_token_event(
    tx: &mut Tx<'_>,
    project: ProjectId,
    by: Option<&TokenRef>,
    event: &'static str,
    token: &TokenRecord,
    verb: &str,
) -> Result<()> {
    record(
        tx,
        project,
        by,
        NewEvent {
            event,
            message: format!("Token {} ({}) {verb}", token.id, token.description),
            object_type: "token",
            object_id: token.id.to_string(),
            params: json!({ "description": token.description }),
        },
    )
}

impl Stack {
    /// The calling token and its owner.
    pub fn verify_token(&self, auth: &TokenAuth) -> Result<VerifiedToken> {
        Ok(VerifiedToken {
            token: auth.token.to_api(None),
            owner: self.get_project(auth.project())?,
            stack: self.info(),
        })
    }

    /// Lists the project's tokens (needs `canManageTokens`).
    pub fn list_tokens(&self, auth: &TokenAuth) -> Result<Vec<Token>> {
        auth.require_manage_tokens()?;
        self.store.read(|c| {
            let mut stmt = c.sql().prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE project_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([auth.project().0], TokenRecord::from_row)?;
            Ok(rows
                .collect::<rusqlite::Result<Vec<_>>>()?
                .iter()
                .map(|t| t.to_api(None))
                .collect())
        })
    }

    /// Creates a token (needs `canManageTokens`). A token may not hand out rights it lacks, nor
    /// outlive it: see [`check_grant`].
    pub fn create_token(&self, auth: &TokenAuth, new: &NewToken) -> Result<Token> {
        auth.require_manage_tokens()?;
        if new.description.trim().is_empty() {
            return Err(Error::invalid(
                "storage.tokens.missingDescription",
                "description is required: say what the token is for",
            ));
        }
        let now = super::now_micros();
        let expires = check_grant(&auth.token, new, now)?;
        let creator = auth.token_ref();
        self.store.write(|tx| {
            for bucket in new.bucket_permissions.keys() {
                let exists: bool = tx.sql()
                    .query_row(
                        "SELECT 1 FROM buckets WHERE project_id = ?1 AND id = ?2",
                        params![auth.project().0, bucket.to_string()],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some();
                if !exists {
                    return Err(Error::invalid(
                        "storage.tokens.unknownBucket",
                        format!("bucketPermissions names bucket {bucket}, which does not exist in this project"),
                    ));
                }
            }
            insert_token_at(
                tx,
                auth.project(),
                new,
                (now, expires),
                false,
                Some(&creator),
            )
        })
    }

    /// One token: any token may read itself; others need `canManageTokens`.
    pub fn get_token(&self, auth: &TokenAuth, id: TokenId) -> Result<Token> {
        if id != auth.token_id() {
            auth.require_manage_tokens()?;
        }
        self.token_record(auth.project(), id)
            .map(|t| t.to_api(None))
    }

    /// Deletes a token: any token may delete itself; others need `canManageTokens`. The master
    /// token that came with the project is kept, so a project never loses its last way in.
    pub fn delete_token(&self, auth: &TokenAuth, id: TokenId) -> Result<()> {
        if id != auth.token_id() {
            auth.require_manage_tokens()?;
        }
        let token = self.token_record(auth.project(), id)?;
        if token.is_master {
            return Err(Error::invalid(
                "storage.tokens.cannotDeleteMaster",
                format!("token {id} is a master token; the stack administrator can issue a new one, but not delete it here"),
            ));
        }
        let by = auth.token_ref();
        self.store.write(|tx| {
            tx.sql()
                .execute("DELETE FROM tokens WHERE id = ?1", [id.0])?;
            record_token_event(
                tx,
                auth.project(),
                Some(&by),
                "storage.tokenDeleted",
                &token,
                "deleted",
            )
        })
    }

    pub(crate) fn token_record(&self, project: ProjectId, id: TokenId) -> Result<TokenRecord> {
        self.store
            .read(|c| {
                Ok(c.sql()
                    .query_row(
                        &format!(
                            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = ?1 AND project_id = ?2"
                        ),
                        params![id.0, project.0],
                        TokenRecord::from_row,
                    )
                    .optional()?)
            })?
            .ok_or_else(|| {
                Error::not_found("storage.tokens.notFound", format!("token {id} not found"))
            })
    }
}
