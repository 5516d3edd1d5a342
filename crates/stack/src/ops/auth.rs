//! Who is calling and what they may do.

use stackport_model::api::{BucketPermission, TokenRef};
use stackport_model::{BucketId, ComponentId, ProjectId, TokenId};

use crate::error::{Error, Result};
use crate::secret;
use crate::store::{NewManageTokenRecord, TokenHash, TokenRecord};
use crate::Stack;

/// A verified Storage API token: the project it belongs to and its rights.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    pub(crate) token: TokenRecord,
}

impl TokenAuth {
    /// The project the token works in.
    pub fn project(&self) -> ProjectId {
        self.token.project
    }

    /// The token's id.
    pub fn token_id(&self) -> TokenId {
        self.token.id
    }

    /// How events and objects show who did something.
    pub(crate) fn token_ref(&self) -> TokenRef {
        TokenRef {
            id: self.token.id,
            description: self.token.description.clone(),
        }
    }

    /// Whether the token reaches every bucket.
    pub(crate) fn all_buckets(&self) -> bool {
        self.token.is_master || self.token.can_manage_buckets
    }

    /// The token's right on one bucket, if any.
    pub(crate) fn bucket_permission(&self, bucket: &BucketId) -> Option<BucketPermission> {
        if self.all_buckets() {
            return Some(BucketPermission::Manage);
        }
        self.token.bucket_permissions.get(bucket).copied()
    }

    /// Fails with 403 unless the token has at least `needed` on `bucket`.
    pub(crate) fn require_bucket(&self, bucket: &BucketId, needed: BucketPermission) -> Result<()> {
        match self.bucket_permission(bucket) {
            Some(p) if p >= needed => Ok(()),
            Some(p) => Err(Error::forbidden(format!(
                "token {} has {p:?} access to bucket {bucket}, this needs {needed:?}; ask a project admin \
                 for a token with more rights",
                self.token.id
            ))),
            None => Err(Error::forbidden(format!(
                "token {} has no access to bucket {bucket}; ask a project admin for a token with access",
                self.token.id
            ))),
        }
    }

    /// Fails with 403 unless the token may create and delete buckets.
    pub(crate) fn require_manage_buckets(&self) -> Result<()> {
        if self.all_buckets() {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "token {} may not create or delete buckets (canManageBuckets is false)",
                self.token.id
            )))
        }
    }

    /// Fails with 403 unless the token may read and change configurations of `component`: a
    /// master token, one with `canManageBuckets`, or one whose `componentAccess` names it.
    pub(crate) fn require_component(&self, component: &ComponentId) -> Result<()> {
        let listed = self
            .token
            .component_access
            .as_ref()
            .is_some_and(|l| l.iter().any(|c| c == component.as_str()));
        if self.all_buckets() || listed {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "token {} may not use configurations of component {component}; ask for a token \
                 whose componentAccess lists it",
                self.token.id
            )))
        }
    }

    /// Fails with 403 unless this is the project's master token.
    pub(crate) fn require_master(&self, what: &str) -> Result<()> {
        if self.token.is_master {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "only a master token may {what}; token {} is not one",
                self.token.id
            )))
        }
    }

    /// Fails with 403 unless the token may manage tokens.
    pub(crate) fn require_manage_tokens(&self) -> Result<()> {
        if self.token.is_master || self.token.can_manage_tokens {
            Ok(())
        } else {
            Err(Error::forbidden(format!(
                "token {} may not manage tokens (canManageTokens is false)",
                self.token.id
            )))
        }
    }
}

/// The fewest characters a manage token chosen in `STACKPORT_MANAGE_TOKEN` may have.
pub const MIN_MANAGE_TOKEN_CHARS: usize = 32;
/// The fewest distinct characters it may have, so that `aaaa…` or `abab…` is refused.
pub const MIN_MANAGE_TOKEN_DISTINCT: usize = 12;

/// Refuses a chosen manage token that is short or repetitive: it opens every project of the
/// stack, so it must not be guessable.
fn check_manage_token_strength(token: &str) -> Result<()> {
    let chars = token.chars().count();
    let distinct = token
        .chars()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if chars >= MIN_MANAGE_TOKEN_CHARS && distinct >= MIN_MANAGE_TOKEN_DISTINCT {
        return Ok(());
    }
    Err(Error::invalid(
        "stack.weakManageToken",
        format!(
            "STACKPORT_MANAGE_TOKEN must be at least {MIN_MANAGE_TOKEN_CHARS} characters with at \
             least {MIN_MANAGE_TOKEN_DISTINCT} distinct ones; this one has {chars} characters, \
             {distinct} distinct. Generate one, e.g. with `openssl rand -hex 24`, or leave the \
             variable unset for the stack to generate one on first start"
        ),
    ))
}

impl Stack {
    /// The rights of token `id` of `project` as they are now, for work the stack does on a
    /// token's behalf later (a job, a scheduled run): none when the token was deleted or expired.
    pub(crate) fn auth_of_token(&self, project: ProjectId, id: TokenId) -> Option<TokenAuth> {
        self.store
            .read(|tx| {
                let token = tx.tokens().get_token(project, id)?;
                Ok(token.filter(|t| !t.is_expired(tx.now_micros())))
            })
            .ok()
            .flatten()
            .map(|token| TokenAuth { token })
    }

    /// Verifies a Storage API token (`X-StorageApi-Token`), by the stack's clock.
    pub fn authenticate(&self, token: Option<&str>) -> Result<TokenAuth> {
        let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::unauthorized("no Storage API token; send it in the X-StorageApi-Token header")
        })?;
        let hash = TokenHash::of(token);
        let (record, now) = self
            .store
            .read(|tx| Ok((tx.tokens().token_by_hash(&hash)?, tx.now_micros())))?;
        let record = record.ok_or_else(|| {
            Error::unauthorized("the Storage API token is not valid; check it or ask for a new one")
        })?;
        if record.is_expired(now) {
            return Err(Error::unauthorized(format!(
                "Storage API token {} has expired; ask for a new one",
                record.id
            )));
        }
        Ok(TokenAuth { token: record })
    }

    /// Verifies the stack administrator's token (`X-KBC-ManageApiToken`).
    pub fn authenticate_manage(&self, token: Option<&str>) -> Result<()> {
        let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::unauthorized("no manage token; send it in the X-KBC-ManageApiToken header")
        })?;
        let hash = TokenHash::of(token);
        if self
            .store
            .read(|tx| tx.tokens().manage_token_exists(&hash))?
        {
            Ok(())
        } else {
            Err(Error::unauthorized("the manage token is not valid"))
        }
    }

    /// Makes sure the stack has a manage token. With `from_env`, that token becomes the only one;
    /// otherwise one is generated on first start and returned, once, to be shown.
    pub fn ensure_manage_token(&self, from_env: Option<&str>) -> Result<Option<String>> {
        if let Some(token) = from_env {
            check_manage_token_strength(token)?;
        }
        self.store.write(|tx| {
            let created_micros = tx.now_micros();
            if let Some(token) = from_env {
                tx.tokens().delete_manage_tokens()?;
                tx.tokens().insert_manage_token(&NewManageTokenRecord {
                    hash: &TokenHash::of(token),
                    description: "from environment",
                    created_micros,
                })?;
                return Ok(None);
            }
            if tx.tokens().any_manage_token()? {
                return Ok(None);
            }
            let token = format!("manage-{}", secret::random_string(40));
            tx.tokens().insert_manage_token(&NewManageTokenRecord {
                hash: &TokenHash::of(&token),
                description: "first start",
                created_micros,
            })?;
            Ok(Some(token))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ErrorKind;

    fn bucket(s: &str) -> BucketId {
        s.parse().unwrap()
    }

    /// A token with no rights at all; each case adds what it needs.
    fn plain() -> TokenRecord {
        TokenRecord {
            id: TokenId(9),
            project: ProjectId(1),
            description: "plain".into(),
            created: 0,
            expires: None,
            is_master: false,
            can_manage_buckets: false,
            can_manage_tokens: false,
            can_read_all_file_uploads: false,
            bucket_permissions: BTreeMap::new(),
            component_access: None,
            creator: None,
        }
    }

    fn auth(token: TokenRecord) -> TokenAuth {
        TokenAuth { token }
    }

    #[track_caller]
    fn forbidden(result: Result<()>, says: &str) {
        let err = result.expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
        assert!(
            err.message().contains(says),
            "{} says {says}",
            err.message()
        );
    }

    #[test]
    fn a_master_token_may_do_everything() {
        let master = auth(TokenRecord {
            is_master: true,
            ..plain()
        });
        let b = bucket("in.c-anything");
        assert_eq!(master.bucket_permission(&b), Some(BucketPermission::Manage));
        master.require_bucket(&b, BucketPermission::Manage).unwrap();
        master.require_manage_buckets().unwrap();
        master.require_manage_tokens().unwrap();
        master.require_master("do it").unwrap();
        master
            .require_component(&"keboola.ex-db-mysql".parse().unwrap())
            .unwrap();
    }

    #[test]
    fn can_manage_buckets_reaches_every_bucket_and_component_but_is_no_master() {
        let admin = auth(TokenRecord {
            can_manage_buckets: true,
            ..plain()
        });
        assert!(admin.all_buckets());
        admin
            .require_bucket(&bucket("out.c-x"), BucketPermission::Manage)
            .unwrap();
        admin.require_manage_buckets().unwrap();
        admin
            .require_component(&"any.thing".parse().unwrap())
            .unwrap();
        forbidden(
            admin.require_master("list members"),
            "only a master token may list members",
        );
        forbidden(admin.require_manage_tokens(), "canManageTokens is false");
    }

    #[test]
    fn a_bucket_permission_covers_the_lesser_ones_on_that_bucket_only() {
        let token = auth(TokenRecord {
            bucket_permissions: BTreeMap::from([(bucket("in.c-a"), BucketPermission::Write)]),
            ..plain()
        });
        let a = bucket("in.c-a");
        assert!(!token.all_buckets());
        assert_eq!(token.bucket_permission(&a), Some(BucketPermission::Write));
        token.require_bucket(&a, BucketPermission::Read).unwrap();
        token.require_bucket(&a, BucketPermission::Write).unwrap();
        forbidden(
            token.require_bucket(&a, BucketPermission::Manage),
            "has Write access to bucket in.c-a, this needs Manage",
        );
        let b = bucket("in.c-b");
        assert_eq!(token.bucket_permission(&b), None);
        forbidden(
            token.require_bucket(&b, BucketPermission::Read),
            "no access to bucket in.c-b",
        );
        forbidden(token.require_manage_buckets(), "canManageBuckets is false");
    }

    #[test]
    fn a_component_is_used_only_when_the_tokens_list_names_it() {
        let mysql = "keboola.ex-db-mysql".parse().unwrap();
        let listed = auth(TokenRecord {
            component_access: Some(vec!["keboola.ex-db-mysql".into()]),
            ..plain()
        });
        listed.require_component(&mysql).unwrap();
        forbidden(
            listed.require_component(&"keboola.ex-db-pgsql".parse().unwrap()),
            "may not use configurations of component keboola.ex-db-pgsql",
        );
        for list in [None, Some(vec![])] {
            let unlisted = auth(TokenRecord {
                component_access: list,
                ..plain()
            });
            forbidden(
                unlisted.require_component(&mysql),
                "componentAccess lists it",
            );
        }
    }

    #[test]
    fn can_manage_tokens_is_its_own_right() {
        let token = auth(TokenRecord {
            can_manage_tokens: true,
            ..plain()
        });
        token.require_manage_tokens().unwrap();
        forbidden(token.require_master("do it"), "token 9 is not one");
        forbidden(
            auth(plain()).require_manage_tokens(),
            "token 9 may not manage tokens",
        );
    }

    #[test]
    fn manage_token_needs_32_characters_and_12_distinct_ones() {
        for weak in [
            "",
            "0123456789abcdef",
            &"a".repeat(64),
            // 32 characters, 11 distinct.
            "0123456789a0123456789a0123456789",
            // 12 distinct, 31 characters.
            "0123456789ab0123456789ab0123456",
        ] {
            let err = check_manage_token_strength(weak).unwrap_err();
            assert_eq!(err.code(), "stack.weakManageToken", "{weak}");
            assert!(
                err.message()
                    .contains("at least 32 characters with at least 12 distinct ones"),
                "{}",
                err.message()
            );
        }
        check_manage_token_strength("0123456789ab0123456789ab01234567").unwrap();
        check_manage_token_strength("čšžřďťňáéíóúůýě-0123456789abcdefgh").unwrap();
    }
}
