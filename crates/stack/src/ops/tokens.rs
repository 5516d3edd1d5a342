//! Storage API tokens of a project.

use serde_json::json;
use stackport_model::api::{NewToken, Token, TokenRef, VerifiedToken};
use stackport_model::{ProjectId, TokenId};

use super::auth::TokenAuth;
use super::buckets::load_bucket;
use super::events::{record, NewEvent};
use super::grant::check_grant;
use crate::error::{Error, ErrorKind, Result};
use crate::store::{NewTokenRecord, TokenHash, TokenRecord, Tx};
use crate::{secret, Stack};

impl TokenRecord {
    pub(crate) fn is_expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }

    /// The token as the API shows it at `now`, with `secret` only in the answer to its creation.
    pub(crate) fn to_api(&self, secret: Option<String>, now: i64) -> Token {
        Token {
            id: self.id,
            description: self.description.clone(),
            created: super::time(self.created),
            expires: self.expires.map(super::time),
            is_expired: self.is_expired(now),
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

fn token_not_found(id: TokenId) -> Error {
    Error::not_found("storage.tokens.notFound", format!("token {id} not found"))
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
    insert_token_expiring(tx, project, new, None, is_master, creator)
}

/// Inserts a token, made at the transaction's time and expiring at `expires`, and returns it
/// with its secret. The secret embeds the token's id, so it is made once the store has minted
/// the id; only its hash reaches the store. `new.expires_in` is not read: the caller has
/// turned it into `expires` (see [`check_grant`]).
fn insert_token_expiring(
    tx: &mut Tx<'_>,
    project: ProjectId,
    new: &NewToken,
    expires: Option<i64>,
    is_master: bool,
    creator: Option<&TokenRef>,
) -> Result<Token> {
    let now = tx.now_micros();
    let mut secret = None;
    let id = tx.tokens().insert_token(
        &NewTokenRecord {
            project,
            description: &new.description,
            created_micros: now,
            expires_micros: expires,
            is_master,
            can_manage_buckets: new.can_manage_buckets,
            can_manage_tokens: new.can_manage_tokens,
            can_read_all_file_uploads: new.can_read_all_file_uploads,
            bucket_permissions: &new.bucket_permissions,
            component_access: new.component_access.as_deref(),
            creator,
        },
        &mut |id| {
            let token = secret::storage_token(project.0, id.0);
            let hash = TokenHash::of(&token);
            secret = Some(token);
            hash
        },
    )?;
    let secret = secret.ok_or_else(|| {
        Error::internal(
            "creating a token",
            format!("the store minted token {id} without asking for its hash"),
        )
    })?;
    let record = tx
        .tokens()
        .get_token(project, id)?
        .ok_or_else(|| token_not_found(id))?;
    record_token_event(
        tx,
        project,
        creator,
        "storage.tokenCreated",
        &record,
        "created",
    )?;
    Ok(record.to_api(Some(secret), now))
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

/// Refuses bucket permissions on buckets the project does not have.
fn check_buckets_exist(tx: &mut Tx<'_>, project: ProjectId, new: &NewToken) -> Result<()> {
    for bucket in new.bucket_permissions.keys() {
        match load_bucket(tx, project, bucket) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::invalid(
                    "storage.tokens.unknownBucket",
                    format!(
                        "bucketPermissions names bucket {bucket}, which does not exist in this \
                         project"
                    ),
                ))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Stack {
    /// The calling token and its owner.
    pub fn verify_token(&self, auth: &TokenAuth) -> Result<VerifiedToken> {
        Ok(VerifiedToken {
            token: auth.token.to_api(None, self.now_micros()),
            owner: self.get_project(auth.project())?,
            stack: self.info(),
        })
    }

    /// Lists the project's tokens (needs `canManageTokens`).
    pub fn list_tokens(&self, auth: &TokenAuth) -> Result<Vec<Token>> {
        auth.require_manage_tokens()?;
        self.store.read(|tx| {
            let now = tx.now_micros();
            Ok(tx
                .tokens()
                .list_tokens(auth.project())?
                .iter()
                .map(|t| t.to_api(None, now))
                .collect())
        })
    }

    /// Creates a token (needs `canManageTokens`). A token may not hand out rights it lacks, nor
    /// outlive it: see `check_grant`.
    pub fn create_token(&self, auth: &TokenAuth, new: &NewToken) -> Result<Token> {
        auth.require_manage_tokens()?;
        if new.description.trim().is_empty() {
            return Err(Error::invalid(
                "storage.tokens.missingDescription",
                "description is required: say what the token is for",
            ));
        }
        let creator = auth.token_ref();
        self.store.write(|tx| {
            let expires = check_grant(&auth.token, new, tx.now_micros())?;
            check_buckets_exist(tx, auth.project(), new)?;
            insert_token_expiring(tx, auth.project(), new, expires, false, Some(&creator))
        })
    }

    /// One token: any token may read itself; others need `canManageTokens`.
    pub fn get_token(&self, auth: &TokenAuth, id: TokenId) -> Result<Token> {
        if id != auth.token_id() {
            auth.require_manage_tokens()?;
        }
        self.store.read(|tx| {
            let token = token_in(tx, auth.project(), id)?;
            Ok(token.to_api(None, tx.now_micros()))
        })
    }

    /// Deletes a token: any token may delete itself; others need `canManageTokens`. The master
    /// token that came with the project is kept, so a project never loses its last way in.
    pub fn delete_token(&self, auth: &TokenAuth, id: TokenId) -> Result<()> {
        if id != auth.token_id() {
            auth.require_manage_tokens()?;
        }
        let by = auth.token_ref();
        self.store.write(|tx| {
            let token = token_in(tx, auth.project(), id)?;
            if token.is_master {
                return Err(Error::invalid(
                    "storage.tokens.cannotDeleteMaster",
                    format!(
                        "token {id} is a master token; the stack administrator can issue a new \
                         one, but not delete it here"
                    ),
                ));
            }
            tx.tokens().delete_token(auth.project(), id)?;
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
}

/// Token `id` of `project`, or 404.
fn token_in(tx: &mut Tx<'_>, project: ProjectId, id: TokenId) -> Result<TokenRecord> {
    tx.tokens()
        .get_token(project, id)?
        .ok_or_else(|| token_not_found(id))
}
