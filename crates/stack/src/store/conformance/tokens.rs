//! [`super::super::TokenStore`]'s cases.

use std::collections::BTreeMap;

use stackport_model::api::{BucketPermission, TokenRef};
use stackport_model::{BucketId, ProjectId, TokenId};

use super::{new_project, read, write, NewStore};
use crate::store::{MetaTx, NewManageTokenRecord, NewTokenRecord, TokenHash, TokenRecord};

pub(super) fn run(new_store: NewStore<'_>) {
    inserted_tokens_read_back(new_store);
    a_token_is_found_by_its_hash_and_nothing_else(new_store);
    the_store_holds_no_plaintext_secret(new_store);
    two_tokens_with_one_hash_are_refused(new_store);
    token_ids_are_never_reused(new_store);
    a_token_is_deleted_only_in_its_project(new_store);
    an_uncommitted_token_is_rolled_back(new_store);
    deleting_a_project_removes_its_tokens(new_store);
    manage_tokens_are_found_by_hash(new_store);
    an_uncommitted_manage_token_is_rolled_back(new_store);
}

const CREATED: i64 = 1_700_000_000_000_000;

fn bucket(s: &str) -> BucketId {
    s.parse().unwrap()
}

/// The secret a token with `id` gets in these cases; like the stack's, it names the id.
fn secret_of(project: ProjectId, id: TokenId) -> String {
    format!(
        "{project}-{id}-conformanceSecretNotToBeStored{}",
        id.0 * 7919
    )
}

/// Inserts a plain token and returns its id and secret.
fn insert(tx: &mut dyn MetaTx, project: ProjectId, description: &str) -> (TokenId, String) {
    let permissions = BTreeMap::new();
    let mut secret = String::new();
    let id = tx
        .tokens()
        .insert_token(
            &NewTokenRecord {
                project,
                description,
                created_micros: CREATED,
                expires_micros: None,
                is_master: false,
                can_manage_buckets: false,
                can_manage_tokens: false,
                can_read_all_file_uploads: false,
                bucket_permissions: &permissions,
                component_access: None,
                creator: None,
            },
            &mut |id| {
                secret = secret_of(project, id);
                TokenHash::of(&secret)
            },
        )
        .expect("a token is inserted");
    (id, secret)
}

fn inserted_tokens_read_back(new_store: NewStore<'_>) {
    let store = new_store();
    let permissions = BTreeMap::from([
        (bucket("in.c-a"), BucketPermission::Read),
        (bucket("out.c-b"), BucketPermission::Manage),
    ]);
    let components = vec!["keboola.ex-db-mysql".to_string(), "x".to_string()];
    let creator = TokenRef {
        id: TokenId(41),
        description: "the admin's".into(),
    };
    let (project, id, asked) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        let mut asked = Vec::new();
        let id = tx
            .tokens()
            .insert_token(
                &NewTokenRecord {
                    project,
                    description: "loader",
                    created_micros: CREATED + 1,
                    expires_micros: Some(CREATED + 60_000_000),
                    is_master: false,
                    can_manage_buckets: false,
                    can_manage_tokens: true,
                    can_read_all_file_uploads: true,
                    bucket_permissions: &permissions,
                    component_access: Some(&components),
                    creator: Some(&creator),
                },
                &mut |id| {
                    asked.push(id);
                    TokenHash::of("s")
                },
            )
            .unwrap();
        (project, id, asked)
    });
    assert_eq!(
        asked,
        vec![id],
        "the hash is asked for once, for the minted id"
    );
    let expected = TokenRecord {
        id,
        project,
        description: "loader".into(),
        created: CREATED + 1,
        expires: Some(CREATED + 60_000_000),
        is_master: false,
        can_manage_buckets: false,
        can_manage_tokens: true,
        can_read_all_file_uploads: true,
        bucket_permissions: permissions.clone(),
        component_access: Some(components.clone()),
        creator: Some(creator.clone()),
    };
    let got = read(store.as_ref(), |tx| {
        tx.tokens().get_token(project, id).unwrap()
    });
    assert_eq!(got.as_ref(), Some(&expected));
    let (master, empty_list) = write(store.as_ref(), |tx| {
        let permissions = BTreeMap::new();
        let master = tx
            .tokens()
            .insert_token(
                &NewTokenRecord {
                    project,
                    description: "Master token",
                    created_micros: CREATED,
                    expires_micros: None,
                    is_master: true,
                    can_manage_buckets: true,
                    can_manage_tokens: true,
                    can_read_all_file_uploads: true,
                    bucket_permissions: &permissions,
                    component_access: None,
                    creator: None,
                },
                &mut |_| TokenHash::of("m"),
            )
            .unwrap();
        let empty: Vec<String> = Vec::new();
        let (listless, _) = insert(tx, project, "with no list");
        let empty_list = tx
            .tokens()
            .insert_token(
                &NewTokenRecord {
                    project,
                    description: "with an empty list",
                    created_micros: CREATED,
                    expires_micros: None,
                    is_master: false,
                    can_manage_buckets: false,
                    can_manage_tokens: false,
                    can_read_all_file_uploads: false,
                    bucket_permissions: &permissions,
                    component_access: Some(&empty),
                    creator: None,
                },
                &mut |_| TokenHash::of("e"),
            )
            .unwrap();
        let got = tx.tokens().get_token(project, listless).unwrap().unwrap();
        assert_eq!(got.component_access, None, "no list stays no list");
        (master, empty_list)
    });
    let all = read(store.as_ref(), |tx| {
        tx.tokens().list_tokens(project).unwrap()
    });
    let ids: Vec<_> = all.iter().map(|t| t.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|t| t.0);
    assert_eq!(ids, sorted, "tokens are listed by id");
    assert_eq!(ids.len(), 4);
    assert_eq!(all.iter().find(|t| t.id == id), Some(&expected));
    let master = all.iter().find(|t| t.id == master).unwrap();
    assert!(master.is_master && master.expires.is_none() && master.creator.is_none());
    let empty_list = all.iter().find(|t| t.id == empty_list).unwrap();
    assert_eq!(
        empty_list.component_access,
        Some(vec![]),
        "an empty list is not the same as no list"
    );
}

fn a_token_is_found_by_its_hash_and_nothing_else(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b, (ta, sa), (tb, sb)) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        (a, b, insert(tx, a, "of a"), insert(tx, b, "of b"))
    });
    read(store.as_ref(), |tx| {
        let found = tx.tokens().token_by_hash(&TokenHash::of(&sa)).unwrap();
        assert_eq!(found.map(|t| (t.id, t.project)), Some((ta, a)));
        let found = tx.tokens().token_by_hash(&TokenHash::of(&sb)).unwrap();
        assert_eq!(found.map(|t| (t.id, t.project)), Some((tb, b)));
        let hash_of_a = TokenHash::of(&sa).as_str().to_string();
        for not_a_secret in [
            "",
            "of a",
            hash_of_a.as_str(),
            &sa[..sa.len() - 1],
            &sa.to_uppercase(),
            &format!("{a}-{ta}-"),
        ] {
            assert!(
                tx.tokens()
                    .token_by_hash(&TokenHash::of(not_a_secret))
                    .unwrap()
                    .is_none(),
                "{not_a_secret:?} finds no token"
            );
        }
        assert!(
            tx.tokens().get_token(b, ta).unwrap().is_none(),
            "a token is not found in another project"
        );
        assert!(tx.tokens().get_token(a, ta).unwrap().is_some());
        assert_eq!(
            tx.tokens()
                .list_tokens(a)
                .unwrap()
                .iter()
                .map(|t| t.id)
                .collect::<Vec<_>>(),
            vec![ta],
            "a project lists only its own tokens"
        );
    });
}

fn the_store_holds_no_plaintext_secret(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, tokens) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        let tokens: Vec<_> = (0..3)
            .map(|i| insert(tx, project, &format!("token {i}")))
            .collect();
        (project, tokens)
    });
    let mut seen = Vec::new();
    read(store.as_ref(), |tx| {
        seen.extend(tx.tokens().list_tokens(project).unwrap());
        for (id, secret) in &tokens {
            seen.extend(tx.tokens().get_token(project, *id).unwrap());
            seen.extend(tx.tokens().token_by_hash(&TokenHash::of(secret)).unwrap());
        }
    });
    assert_eq!(seen.len(), 9, "every token read back three ways");
    let shown = format!("{seen:?}");
    for (id, secret) in &tokens {
        assert!(!shown.contains(secret.as_str()), "the secret of {id}");
        let random = secret.rsplit('-').next().unwrap();
        assert!(!shown.contains(random), "the secret's random part of {id}");
        let hash = TokenHash::of(secret);
        assert!(
            !shown.contains(hash.as_str()),
            "a record read back carries no hash of {id}"
        );
    }
}

fn two_tokens_with_one_hash_are_refused(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, (first, secret)) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        (project, insert(tx, project, "first"))
    });
    let mut tx = store.begin_write().unwrap();
    let permissions = BTreeMap::new();
    let again = tx.tokens().insert_token(
        &NewTokenRecord {
            project,
            description: "second",
            created_micros: CREATED,
            expires_micros: None,
            is_master: false,
            can_manage_buckets: false,
            can_manage_tokens: false,
            can_read_all_file_uploads: false,
            bucket_permissions: &permissions,
            component_access: None,
            creator: None,
        },
        &mut |_| TokenHash::of(&secret),
    );
    assert!(
        again.is_err(),
        "a hash already stored is refused: {again:?}"
    );
    drop(tx);
    let found = read(store.as_ref(), |tx| {
        tx.tokens().token_by_hash(&TokenHash::of(&secret)).unwrap()
    });
    assert_eq!(found.map(|t| t.id), Some(first));
}

fn token_ids_are_never_reused(new_store: NewStore<'_>) {
    let store = new_store();
    let (project, (first, _)) = write(store.as_ref(), |tx| {
        let project = new_project(tx, "p");
        (project, insert(tx, project, "first"))
    });
    assert!(write(store.as_ref(), |tx| tx
        .tokens()
        .delete_token(project, first)
        .unwrap()));
    assert!(
        !write(store.as_ref(), |tx| tx
            .tokens()
            .delete_token(project, first)
            .unwrap()),
        "deleting twice finds nothing"
    );
    let (second, _) = write(store.as_ref(), |tx| insert(tx, project, "second"));
    assert_ne!(first, second, "a deleted token's id is not minted again");
}

fn a_token_is_deleted_only_in_its_project(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b, (ta, sa)) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        (a, b, insert(tx, a, "of a"))
    });
    assert!(!write(store.as_ref(), |tx| tx
        .tokens()
        .delete_token(b, ta)
        .unwrap()));
    let found = read(store.as_ref(), |tx| {
        tx.tokens().token_by_hash(&TokenHash::of(&sa)).unwrap()
    });
    assert_eq!(found.map(|t| t.id), Some(ta), "the token is still there");
    assert!(write(store.as_ref(), |tx| tx
        .tokens()
        .delete_token(a, ta)
        .unwrap()));
    let found = read(store.as_ref(), |tx| {
        tx.tokens().token_by_hash(&TokenHash::of(&sa)).unwrap()
    });
    assert!(found.is_none(), "a deleted token is not found by its hash");
}

fn an_uncommitted_token_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let project = write(store.as_ref(), |tx| new_project(tx, "p"));
    let (id, secret) = {
        let mut tx = store.begin_write().unwrap();
        let token = insert(tx.as_mut(), project, "dropped");
        drop(tx); // without a commit
        token
    };
    read(store.as_ref(), |tx| {
        assert!(tx.tokens().get_token(project, id).unwrap().is_none());
        assert!(tx
            .tokens()
            .token_by_hash(&TokenHash::of(&secret))
            .unwrap()
            .is_none());
        assert!(tx.tokens().list_tokens(project).unwrap().is_empty());
    });
}

fn deleting_a_project_removes_its_tokens(new_store: NewStore<'_>) {
    let store = new_store();
    let (a, b, (_, sa), (tb, sb)) = write(store.as_ref(), |tx| {
        let a = new_project(tx, "a");
        let b = new_project(tx, "b");
        (a, b, insert(tx, a, "of a"), insert(tx, b, "of b"))
    });
    write(store.as_ref(), |tx| {
        tx.tokens()
            .insert_manage_token(&NewManageTokenRecord {
                hash: &TokenHash::of("manage"),
                description: "first start",
                created_micros: CREATED,
            })
            .unwrap();
        assert!(tx.projects().delete_project(a).unwrap());
    });
    read(store.as_ref(), |tx| {
        assert!(tx.tokens().list_tokens(a).unwrap().is_empty());
        assert!(tx
            .tokens()
            .token_by_hash(&TokenHash::of(&sa))
            .unwrap()
            .is_none());
        let kept = tx.tokens().token_by_hash(&TokenHash::of(&sb)).unwrap();
        assert_eq!(
            kept.map(|t| t.id),
            Some(tb),
            "another project keeps its own"
        );
        assert_eq!(tx.tokens().list_tokens(b).unwrap().len(), 1);
        assert!(
            tx.tokens()
                .manage_token_exists(&TokenHash::of("manage"))
                .unwrap(),
            "manage tokens belong to the stack, not to a project"
        );
    });
}

fn manage_tokens_are_found_by_hash(new_store: NewStore<'_>) {
    let store = new_store();
    let one = TokenHash::of("manage-one");
    let two = TokenHash::of("manage-two");
    read(store.as_ref(), |tx| {
        assert!(
            !tx.tokens().any_manage_token().unwrap(),
            "a new store has none"
        );
        assert!(!tx.tokens().manage_token_exists(&one).unwrap());
    });
    write(store.as_ref(), |tx| {
        tx.tokens()
            .insert_manage_token(&NewManageTokenRecord {
                hash: &one,
                description: "first start",
                created_micros: CREATED,
            })
            .unwrap();
    });
    read(store.as_ref(), |tx| {
        assert!(tx.tokens().any_manage_token().unwrap());
        assert!(tx.tokens().manage_token_exists(&one).unwrap());
        assert!(!tx.tokens().manage_token_exists(&two).unwrap());
        assert!(
            !tx.tokens()
                .manage_token_exists(&TokenHash::of(one.as_str()))
                .unwrap(),
            "the hash itself is not a manage token"
        );
        let project_token = tx.tokens().token_by_hash(&one).unwrap();
        assert!(
            project_token.is_none(),
            "a manage token is no Storage token"
        );
    });
    {
        let mut tx = store.begin_write().unwrap();
        let again = tx.tokens().insert_manage_token(&NewManageTokenRecord {
            hash: &one,
            description: "again",
            created_micros: CREATED,
        });
        assert!(again.is_err(), "a manage token's hash is stored once");
    }
    let deleted = write(store.as_ref(), |tx| {
        tx.tokens()
            .insert_manage_token(&NewManageTokenRecord {
                hash: &two,
                description: "from environment",
                created_micros: CREATED,
            })
            .unwrap();
        tx.tokens().delete_manage_tokens().unwrap()
    });
    assert_eq!(deleted, 2);
    read(store.as_ref(), |tx| {
        assert!(!tx.tokens().any_manage_token().unwrap());
        assert!(!tx.tokens().manage_token_exists(&one).unwrap());
        assert!(!tx.tokens().manage_token_exists(&two).unwrap());
    });
}

fn an_uncommitted_manage_token_is_rolled_back(new_store: NewStore<'_>) {
    let store = new_store();
    let kept = TokenHash::of("kept");
    write(store.as_ref(), |tx| {
        tx.tokens()
            .insert_manage_token(&NewManageTokenRecord {
                hash: &kept,
                description: "first start",
                created_micros: CREATED,
            })
            .unwrap();
    });
    {
        let mut tx = store.begin_write().unwrap();
        tx.tokens().delete_manage_tokens().unwrap();
        tx.tokens()
            .insert_manage_token(&NewManageTokenRecord {
                hash: &TokenHash::of("dropped"),
                description: "from environment",
                created_micros: CREATED,
            })
            .unwrap();
        drop(tx); // without a commit
    }
    read(store.as_ref(), |tx| {
        assert!(tx.tokens().manage_token_exists(&kept).unwrap());
        assert!(!tx
            .tokens()
            .manage_token_exists(&TokenHash::of("dropped"))
            .unwrap());
    });
}
