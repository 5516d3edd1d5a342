//! What a token may hand out when it makes another: never more than it has itself, field by
//! field, and never for longer than it lives. Every way a Storage token is made by another
//! token goes through [`check_grant`], so the rule cannot be forgotten on one path.

use stackport_model::api::{BucketPermission, NewToken};

use crate::error::{Error, Result};
use crate::store::TokenRecord;

/// The longest lifetime a token may be given, in seconds.
pub(crate) const MAX_EXPIRES_IN: u64 = 100 * 365 * 86_400;

/// Checks that `creator` may make a token with `new`'s rights and lifetime, `now` being the
/// time (µs) the token is made at, and returns when the new token expires (never when `None`).
/// Refuses with 403 naming the field and the creator's own right.
pub(crate) fn check_grant(creator: &TokenRecord, new: &NewToken, now: i64) -> Result<Option<i64>> {
    let expires = new_expiry(new, now)?;
    if !creator.is_master {
        check_rights(creator, new)?;
    }
    check_lifetime(creator, expires, now)?;
    Ok(expires)
}

/// When a token of `new` made at `now` expires.
fn new_expiry(new: &NewToken, now: i64) -> Result<Option<i64>> {
    match new.expires_in {
        None => Ok(None),
        Some(s) if s > MAX_EXPIRES_IN => Err(Error::invalid(
            "storage.tokens.invalidExpiresIn",
            format!(
                "expiresIn is in seconds and may be at most {MAX_EXPIRES_IN} (100 years); leave it \
                 out for a token that never expires"
            ),
        )),
        // At most 100 years of microseconds: no overflow.
        Some(s) => Ok(Some(now + s as i64 * 1_000_000)),
    }
}

/// The rights fields, for a creator that is not a master token.
fn check_rights(creator: &TokenRecord, new: &NewToken) -> Result<()> {
    let id = creator.id;
    let all_buckets = creator.can_manage_buckets;
    if new.can_manage_buckets && !all_buckets {
        return Err(Error::forbidden(format!(
            "canManageBuckets: token {id} cannot grant it, its own canManageBuckets is false"
        )));
    }
    if new.can_manage_tokens && !creator.can_manage_tokens {
        return Err(Error::forbidden(format!(
            "canManageTokens: token {id} cannot grant it, its own canManageTokens is false"
        )));
    }
    if new.can_read_all_file_uploads && !creator.can_read_all_file_uploads {
        return Err(Error::forbidden(format!(
            "canReadAllFileUploads: token {id} cannot grant it, its own canReadAllFileUploads \
             is false"
        )));
    }
    if !all_buckets {
        for (bucket, wanted) in &new.bucket_permissions {
            match creator.bucket_permissions.get(bucket) {
                Some(own) if own >= wanted => {}
                Some(own) => {
                    return Err(Error::forbidden(format!(
                        "bucketPermissions: token {id} cannot grant {} on bucket {bucket}, it has \
                         only {} there itself",
                        name(*wanted),
                        name(*own)
                    )))
                }
                None => {
                    return Err(Error::forbidden(format!(
                        "bucketPermissions: token {id} cannot grant {} on bucket {bucket}, it has \
                         no access to that bucket itself",
                        name(*wanted)
                    )))
                }
            }
        }
    }
    // A token that reaches every bucket may use every component (see `require_component`);
    // any other uses exactly the components its list names.
    if !all_buckets {
        let own = creator.component_access.as_deref().unwrap_or_default();
        for component in new.component_access.iter().flatten() {
            if !own.contains(component) {
                return Err(Error::forbidden(format!(
                    "componentAccess: token {id} cannot grant component {component}, its own \
                     componentAccess is [{}]",
                    own.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// A creator that expires cannot make a token that outlives it.
fn check_lifetime(creator: &TokenRecord, expires: Option<i64>, now: i64) -> Result<()> {
    let Some(own) = creator.expires else {
        return Ok(());
    };
    if expires.is_some_and(|e| e <= own) {
        return Ok(());
    }
    let left = (own - now).max(0) / 1_000_000;
    let until = super::time(own).to_rfc3339();
    let what = if expires.is_none() {
        "a token that never expires"
    } else {
        "a token that outlives it"
    };
    Err(Error::forbidden(format!(
        "expiresIn: token {} expires at {until} and cannot create {what}; give expiresIn of at \
         most {left} seconds",
        creator.id
    )))
}

fn name(p: BucketPermission) -> &'static str {
    match p {
        BucketPermission::Read => "read",
        BucketPermission::Write => "write",
        BucketPermission::Manage => "manage",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use stackport_model::{BucketId, ProjectId, TokenId};

    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;

    fn bucket(s: &str) -> BucketId {
        s.parse().unwrap()
    }

    /// A token that may manage tokens and nothing else.
    fn creator() -> TokenRecord {
        TokenRecord {
            id: TokenId(7),
            project: ProjectId(1),
            description: "creator".into(),
            created: NOW,
            expires: None,
            is_master: false,
            can_manage_buckets: false,
            can_manage_tokens: true,
            can_read_all_file_uploads: false,
            bucket_permissions: BTreeMap::new(),
            component_access: None,
            creator: None,
        }
    }

    fn new() -> NewToken {
        NewToken {
            description: "new".into(),
            ..Default::default()
        }
    }

    #[track_caller]
    fn refused(creator: &TokenRecord, new: &NewToken, field: &str, right: &str) {
        let err = check_grant(creator, new, NOW).expect_err("the grant is refused");
        assert_eq!(err.kind(), crate::ErrorKind::Forbidden, "{err}");
        let message = err.to_string();
        assert!(message.starts_with(&format!("{field}: ")), "{message}");
        assert!(message.contains(right), "{message} names {right}");
    }

    #[test]
    fn a_plain_token_within_its_creators_rights_is_granted() {
        assert_eq!(check_grant(&creator(), &new(), NOW).unwrap(), None);
    }

    #[test]
    fn bucket_permissions_are_capped_by_the_creators_per_bucket() {
        let mut c = creator();
        c.bucket_permissions = BTreeMap::from([(bucket("in.c-a"), BucketPermission::Write)]);
        for (wanted, ok) in [
            (BucketPermission::Read, true),
            (BucketPermission::Write, true),
            (BucketPermission::Manage, false),
        ] {
            let n = NewToken {
                bucket_permissions: BTreeMap::from([(bucket("in.c-a"), wanted)]),
                ..new()
            };
            if ok {
                check_grant(&c, &n, NOW).unwrap();
            } else {
                refused(&c, &n, "bucketPermissions", "only write");
            }
        }
        let other = NewToken {
            bucket_permissions: BTreeMap::from([(bucket("in.c-b"), BucketPermission::Read)]),
            ..new()
        };
        refused(&c, &other, "bucketPermissions", "no access");
    }

    #[test]
    fn can_manage_buckets_implies_manage_on_every_bucket() {
        let c = TokenRecord {
            can_manage_buckets: true,
            ..creator()
        };
        let n = NewToken {
            can_manage_buckets: true,
            bucket_permissions: BTreeMap::from([(bucket("in.c-z"), BucketPermission::Manage)]),
            component_access: Some(vec!["keboola.ex-db-mysql".into()]),
            ..new()
        };
        check_grant(&c, &n, NOW).unwrap();
    }

    #[test]
    fn can_manage_buckets_needs_the_creators() {
        let n = NewToken {
            can_manage_buckets: true,
            ..new()
        };
        refused(
            &creator(),
            &n,
            "canManageBuckets",
            "its own canManageBuckets is false",
        );
    }

    #[test]
    fn can_manage_tokens_needs_the_creators() {
        let c = TokenRecord {
            can_manage_tokens: false,
            ..creator()
        };
        let n = NewToken {
            can_manage_tokens: true,
            ..new()
        };
        refused(
            &c,
            &n,
            "canManageTokens",
            "its own canManageTokens is false",
        );
        check_grant(&creator(), &n, NOW).unwrap();
    }

    #[test]
    fn can_read_all_file_uploads_needs_the_creators() {
        let n = NewToken {
            can_read_all_file_uploads: true,
            ..new()
        };
        refused(&creator(), &n, "canReadAllFileUploads", "is false");
        let c = TokenRecord {
            can_read_all_file_uploads: true,
            ..creator()
        };
        check_grant(&c, &n, NOW).unwrap();
    }

    #[test]
    fn component_access_is_a_subset_of_the_creators_list() {
        let c = TokenRecord {
            component_access: Some(vec!["a".into(), "b".into()]),
            ..creator()
        };
        let within = NewToken {
            component_access: Some(vec!["b".into()]),
            ..new()
        };
        check_grant(&c, &within, NOW).unwrap();
        let beyond = NewToken {
            component_access: Some(vec!["a".into(), "c".into()]),
            ..new()
        };
        refused(&c, &beyond, "componentAccess", "[a, b]");
        // A creator without a list may use no component, so it grants none.
        let any = NewToken {
            component_access: Some(vec!["a".into()]),
            ..new()
        };
        refused(&creator(), &any, "componentAccess", "[]");
    }

    #[test]
    fn a_master_token_grants_any_rights() {
        let c = TokenRecord {
            is_master: true,
            can_manage_tokens: false,
            ..creator()
        };
        let n = NewToken {
            can_manage_buckets: true,
            can_manage_tokens: true,
            can_read_all_file_uploads: true,
            bucket_permissions: BTreeMap::from([(bucket("in.c-a"), BucketPermission::Manage)]),
            component_access: Some(vec!["x".into()]),
            ..new()
        };
        check_grant(&c, &n, NOW).unwrap();
    }

    #[test]
    fn an_expiring_creator_makes_only_tokens_that_expire_no_later() {
        let c = TokenRecord {
            expires: Some(NOW + 60_000_000),
            ..creator()
        };
        let within = NewToken {
            expires_in: Some(60),
            ..new()
        };
        assert_eq!(
            check_grant(&c, &within, NOW).unwrap(),
            Some(NOW + 60_000_000)
        );
        let longer = NewToken {
            expires_in: Some(61),
            ..new()
        };
        refused(&c, &longer, "expiresIn", "at most 60 seconds");
        refused(&c, &new(), "expiresIn", "never expires");
        // A master token that expires is bound by its lifetime too.
        let master = TokenRecord {
            is_master: true,
            ..c
        };
        refused(&master, &new(), "expiresIn", "never expires");
    }

    #[test]
    fn an_expiry_is_counted_from_the_time_the_token_is_made() {
        let n = NewToken {
            expires_in: Some(90),
            ..new()
        };
        assert_eq!(
            check_grant(&creator(), &n, NOW).unwrap(),
            Some(NOW + 90_000_000)
        );
        assert_eq!(
            check_grant(&creator(), &n, NOW + 5).unwrap(),
            Some(NOW + 5 + 90_000_000)
        );
    }

    #[test]
    fn no_component_list_or_an_empty_one_is_within_any_creators() {
        for wanted in [None, Some(vec![])] {
            let n = NewToken {
                component_access: wanted,
                ..new()
            };
            check_grant(&creator(), &n, NOW).unwrap();
        }
    }

    #[test]
    fn every_bucket_asked_for_is_checked() {
        let mut c = creator();
        c.bucket_permissions = BTreeMap::from([
            (bucket("in.c-a"), BucketPermission::Manage),
            (bucket("in.c-b"), BucketPermission::Read),
        ]);
        let n = NewToken {
            bucket_permissions: BTreeMap::from([
                (bucket("in.c-a"), BucketPermission::Manage),
                (bucket("in.c-b"), BucketPermission::Write),
            ]),
            ..new()
        };
        refused(
            &c,
            &n,
            "bucketPermissions",
            "on bucket in.c-b, it has only read",
        );
        let within = NewToken {
            bucket_permissions: BTreeMap::from([
                (bucket("in.c-a"), BucketPermission::Manage),
                (bucket("in.c-b"), BucketPermission::Read),
            ]),
            ..new()
        };
        check_grant(&c, &within, NOW).unwrap();
    }

    #[test]
    fn an_expired_creator_may_give_no_time_at_all() {
        let c = TokenRecord {
            expires: Some(NOW - 1),
            ..creator()
        };
        let n = NewToken {
            expires_in: Some(1),
            ..new()
        };
        refused(&c, &n, "expiresIn", "at most 0 seconds");
    }

    #[test]
    fn expires_in_may_be_at_most_a_hundred_years() {
        for bad in [MAX_EXPIRES_IN + 1, u64::MAX] {
            let n = NewToken {
                expires_in: Some(bad),
                ..new()
            };
            let err = check_grant(&creator(), &n, NOW).unwrap_err();
            assert_eq!(err.code(), "storage.tokens.invalidExpiresIn", "{bad}");
        }
        let n = NewToken {
            expires_in: Some(MAX_EXPIRES_IN),
            ..new()
        };
        assert!(check_grant(&creator(), &n, NOW).unwrap().unwrap() > NOW);
    }
}
