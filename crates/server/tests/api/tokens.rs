//! Storage API tokens: created with a secret shown once, verified, deleted.

use std::collections::BTreeMap;
use std::sync::Arc;

use stackport_client::Client;
use stackport_model::api::{BucketPermission, NewConfiguration, NewToken, Token};
use stackport_model::{BucketId, ComponentId, Stage, TokenId};
use stackport_stack::ManualClock;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_secret_is_returned_only_when_created() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let bucket = create_bucket(&master, stackport_model::Stage::In, "b").await;
    let created = master
        .create_token(&NewToken {
            description: "for the loader".into(),
            can_read_all_file_uploads: true,
            bucket_permissions: BTreeMap::from([(bucket.id.clone(), BucketPermission::Write)]),
            ..Default::default()
        })
        .await
        .unwrap();
    let secret = created.token.clone().expect("the secret is in the answer");
    // `<project>-<token id>-<40 random letters and digits>`.
    let project = master.verify_token().await.unwrap().owner.id;
    let prefix = format!("{project}-{}-", created.id);
    let random = secret
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{secret} starts with {prefix}"));
    assert_eq!(random.len(), 40);
    assert!(random.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(created.description, "for the loader");
    assert!(!created.is_master_token);
    assert!(!created.can_manage_buckets);
    assert!(!created.can_manage_tokens);
    assert!(created.can_read_all_file_uploads);
    assert_eq!(
        created.bucket_permissions,
        BTreeMap::from([(bucket.id.clone(), BucketPermission::Write)])
    );

    let listed = master.list_tokens().await.unwrap();
    assert_eq!(listed.len(), 2, "the master token and the new one");
    assert!(
        listed.iter().all(|t| t.token.is_none()),
        "no secret in a list"
    );
    let listed_new = listed.iter().find(|t| t.id == created.id).unwrap();
    assert_eq!(
        listed_new,
        &stackport_model::api::Token {
            token: None,
            ..created.clone()
        }
    );

    let got = master.get_token(created.id).await.unwrap();
    assert_eq!(got.token, None, "no secret when read");
    assert_eq!(got.id, created.id);

    // The secret works, and the token reads itself without a secret either.
    let client = app.client(&secret);
    assert_eq!(client.get_token(created.id).await.unwrap().token, None);
    assert_eq!(client.verify_token().await.unwrap().token.token, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_shows_the_owner_project_and_the_stack() {
    let app = spawn_app().await;
    let (created, master) = app.new_project_full("Verified project").await;
    let verified = master.verify_token().await.unwrap();
    assert_eq!(verified.owner.id, created.project.id);
    assert_eq!(verified.owner.name, "Verified project");
    assert_eq!(verified.owner.backend, "sqlite");
    assert!(verified.token.is_master_token);
    assert!(verified.token.can_manage_buckets);
    assert!(verified.token.can_manage_tokens);
    assert_eq!(verified.stack.id, "local");
    assert_eq!(verified.stack.backends, vec!["sqlite".to_string()]);
    assert_eq!(verified.stack.default_backend, "sqlite");
    assert_eq!(verified.stack, app.manage.manage_stack().await.unwrap());

    let token = master
        .create_token(&NewToken {
            description: "second".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let second = app
        .client(token.token.as_deref().unwrap())
        .verify_token()
        .await
        .unwrap();
    assert_eq!(second.token.id, token.id);
    assert!(!second.token.is_master_token);
    assert_eq!(second.owner.id, created.project.id);
    assert_eq!(
        second.token.creator_token.map(|c| c.id),
        Some(verified.token.id),
        "the creator is the master token"
    );
}

/// Tokens are made, shown and refused by the stack's clock, not the machine's: a stack that
/// goes by a clock years ahead still sees its token live for exactly `expiresIn`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expires_by_the_stacks_clock() {
    let start = stackport_model::time::parse("2031-05-01T08:00:00Z")
        .unwrap()
        .timestamp_micros();
    let clock = Arc::new(ManualClock::at(start));
    let app = spawn_app_with_clock(clock.clone()).await;
    let master = app.new_project("p").await;
    let token = master
        .create_token(&NewToken {
            description: "for a minute".into(),
            expires_in: Some(60),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(token.created.timestamp_micros(), start);
    assert_eq!(
        token.expires.unwrap().timestamp_micros(),
        start + 60_000_000
    );
    let client = app.client(token.token.as_deref().unwrap());

    clock.advance_seconds(59);
    assert!(!client.verify_token().await.unwrap().token.is_expired);

    clock.advance_seconds(1);
    let body = expect_error(client.verify_token().await, 401, "invalidToken");
    assert!(body.error.contains("has expired"), "{}", body.error);
    let listed = master.list_tokens().await.unwrap();
    let listed = listed.iter().find(|t| t.id == token.id).unwrap();
    assert!(listed.is_expired, "the list shows it expired too");

    clock.set(start);
    client.verify_token().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_token_no_longer_works() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let token = master
        .create_token(&NewToken {
            description: "temporary".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let client = app.client(token.token.as_deref().unwrap());
    client.verify_token().await.unwrap();

    master.delete_token(token.id).await.unwrap();
    expect_error(client.verify_token().await, 401, "invalidToken");
    expect_error(
        master.get_token(token.id).await,
        404,
        "storage.tokens.notFound",
    );
    assert!(master
        .list_tokens()
        .await
        .unwrap()
        .iter()
        .all(|t| t.id != token.id));
    expect_error(
        master.delete_token(token.id).await,
        404,
        "storage.tokens.notFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_token_cannot_be_deleted() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let me = master.verify_token().await.unwrap().token.id;
    expect_error(
        master.delete_token(me).await,
        400,
        "storage.tokens.cannotDeleteMaster",
    );
    // A token that may manage tokens cannot delete it either.
    let admin = master
        .create_token(&NewToken {
            description: "token admin".into(),
            can_manage_tokens: true,
            ..Default::default()
        })
        .await
        .unwrap();
    expect_error(
        app.client(admin.token.as_deref().unwrap())
            .delete_token(me)
            .await,
        400,
        "storage.tokens.cannotDeleteMaster",
    );
    master.verify_token().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_cannot_grant_rights_it_lacks() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let admin = master
        .create_token(&NewToken {
            description: "token admin".into(),
            can_manage_tokens: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let admin = app.client(admin.token.as_deref().unwrap());
    expect_error(
        admin
            .create_token(&NewToken {
                description: "escalated".into(),
                can_manage_buckets: true,
                ..Default::default()
            })
            .await,
        403,
        "accessDenied",
    );
    expect_error(
        admin
            .create_token(&NewToken {
                description: "escalated files".into(),
                can_read_all_file_uploads: true,
                ..Default::default()
            })
            .await,
        403,
        "accessDenied",
    );
    // Within its rights it may.
    let ok = admin
        .create_token(&NewToken {
            description: "plain".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(ok.token.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_of_another_project_is_404() {
    let app = spawn_app().await;
    let a = app.new_project("A").await;
    let b = app.new_project("B").await;
    let b_master = b.verify_token().await.unwrap().token.id;
    expect_error(a.get_token(b_master).await, 404, "storage.tokens.notFound");
    expect_error(
        a.delete_token(b_master).await,
        404,
        "storage.tokens.notFound",
    );
    expect_error(
        a.get_token(TokenId(999_999)).await,
        404,
        "storage.tokens.notFound",
    );
    b.verify_token().await.unwrap();
    // Listings hold only the project's own tokens.
    let a_master = a.verify_token().await.unwrap().token.id;
    let listed: Vec<_> = a
        .list_tokens()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, vec![a_master]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_needs_a_description() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    expect_error(
        master
            .create_token(&NewToken {
                description: "  ".into(),
                ..Default::default()
            })
            .await,
        400,
        "storage.tokens.missingDescription",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_expires_in_does_not_make_an_expired_token() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let body = expect_error(
        master
            .create_token(&NewToken {
                description: "forever and a day".into(),
                expires_in: Some(u64::MAX),
                ..Default::default()
            })
            .await,
        400,
        "storage.tokens.invalidExpiresIn",
    );
    assert!(body.error.contains("at most 3153600000"), "{}", body.error);
    assert_eq!(
        master.list_tokens().await.unwrap().len(),
        1,
        "no token was made"
    );
}

/// A token that may manage tokens, with `rights` on top; and a client using it.
async fn token_admin(app: &TestApp, master: &Client, rights: NewToken) -> (Token, Client) {
    let token = master
        .create_token(&NewToken {
            description: "token admin".into(),
            can_manage_tokens: true,
            ..rights
        })
        .await
        .expect("the token admin is created");
    let client = app.client(token.token.as_deref().unwrap());
    (token, client)
}

/// Asserts a 403 whose message starts with the refused field and names the creator's right.
#[track_caller]
fn refused_grant<T: std::fmt::Debug>(
    result: Result<T, stackport_client::ClientError>,
    field: &str,
    right: &str,
) {
    let body = expect_error(result, 403, "accessDenied");
    assert!(
        body.error.starts_with(&format!("{field}: ")),
        "{} names {field}",
        body.error
    );
    assert!(body.error.contains(right), "{} names {right}", body.error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_permissions_of_a_new_token_are_within_its_creators() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let b = create_bucket(&master, Stage::In, "b").await;
    let other = create_bucket(&master, Stage::In, "other").await;
    let (_, admin) = token_admin(
        &app,
        &master,
        NewToken {
            bucket_permissions: BTreeMap::from([(b.id.clone(), BucketPermission::Read)]),
            ..Default::default()
        },
    )
    .await;
    let with = |bucket: &BucketId, p| NewToken {
        description: "child".into(),
        bucket_permissions: BTreeMap::from([(bucket.clone(), p)]),
        ..Default::default()
    };
    refused_grant(
        admin
            .create_token(&with(&b.id, BucketPermission::Write))
            .await,
        "bucketPermissions",
        "only read",
    );
    refused_grant(
        admin
            .create_token(&with(&b.id, BucketPermission::Manage))
            .await,
        "bucketPermissions",
        "only read",
    );
    refused_grant(
        admin
            .create_token(&with(&other.id, BucketPermission::Read))
            .await,
        "bucketPermissions",
        "no access",
    );
    let child = admin
        .create_token(&with(&b.id, BucketPermission::Read))
        .await
        .expect("read on its own bucket may be granted");
    assert_eq!(
        child.bucket_permissions,
        BTreeMap::from([(b.id.clone(), BucketPermission::Read)])
    );
    assert_eq!(master.list_tokens().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn can_manage_buckets_of_a_new_token_needs_its_creators() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let (_, admin) = token_admin(&app, &master, NewToken::default()).await;
    refused_grant(
        admin
            .create_token(&NewToken {
                description: "bucket admin".into(),
                can_manage_buckets: true,
                ..Default::default()
            })
            .await,
        "canManageBuckets",
        "its own canManageBuckets is false",
    );
    // One that has it may grant it, and with it manage on any bucket.
    let (_, buckets_admin) = token_admin(
        &app,
        &master,
        NewToken {
            can_manage_buckets: true,
            ..Default::default()
        },
    )
    .await;
    let b = create_bucket(&master, Stage::In, "b").await;
    let child = buckets_admin
        .create_token(&NewToken {
            description: "bucket admin".into(),
            can_manage_buckets: true,
            bucket_permissions: BTreeMap::from([(b.id, BucketPermission::Manage)]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(child.can_manage_buckets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn can_manage_tokens_of_a_new_token_needs_its_creators() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let plain = master
        .create_token(&NewToken {
            description: "plain".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let body = expect_error(
        app.client(plain.token.as_deref().unwrap())
            .create_token(&NewToken {
                description: "child".into(),
                can_manage_tokens: true,
                ..Default::default()
            })
            .await,
        403,
        "accessDenied",
    );
    assert!(
        body.error.contains("canManageTokens is false"),
        "{}",
        body.error
    );
    let (_, admin) = token_admin(&app, &master, NewToken::default()).await;
    let child = admin
        .create_token(&NewToken {
            description: "another admin".into(),
            can_manage_tokens: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(child.can_manage_tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn can_read_all_file_uploads_of_a_new_token_needs_its_creators() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let (_, admin) = token_admin(&app, &master, NewToken::default()).await;
    refused_grant(
        admin
            .create_token(&NewToken {
                description: "file reader".into(),
                can_read_all_file_uploads: true,
                ..Default::default()
            })
            .await,
        "canReadAllFileUploads",
        "its own canReadAllFileUploads is false",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_access_of_a_new_token_is_within_its_creators() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let mysql: ComponentId = "keboola.ex-db-mysql".parse().unwrap();
    let config = master
        .create_config(
            &mysql,
            &NewConfiguration {
                name: "orders".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let b = create_bucket(&master, Stage::In, "b").await;
    let (_, admin) = token_admin(
        &app,
        &master,
        NewToken {
            bucket_permissions: BTreeMap::from([(b.id, BucketPermission::Read)]),
            ..Default::default()
        },
    )
    .await;
    expect_error(
        admin.get_config(&mysql, &config.id).await,
        403,
        "accessDenied",
    );
    refused_grant(
        admin
            .create_token(&NewToken {
                description: "escalated".into(),
                component_access: Some(vec![mysql.to_string()]),
                ..Default::default()
            })
            .await,
        "componentAccess",
        "its own componentAccess is []",
    );
    assert_eq!(
        master.list_tokens().await.unwrap().len(),
        2,
        "no token was made"
    );
    // A creator whose list names the component may pass it on.
    let (_, lister) = token_admin(
        &app,
        &master,
        NewToken {
            component_access: Some(vec![mysql.to_string()]),
            ..Default::default()
        },
    )
    .await;
    let child = lister
        .create_token(&NewToken {
            description: "mysql".into(),
            component_access: Some(vec![mysql.to_string()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let child = app.client(child.token.as_deref().unwrap());
    assert_eq!(
        child.get_config(&mysql, &config.id).await.unwrap().id,
        config.id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_token_does_not_outlive_its_creator() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let (creator, admin) = token_admin(
        &app,
        &master,
        NewToken {
            expires_in: Some(60),
            ..Default::default()
        },
    )
    .await;
    let with = |expires_in| NewToken {
        description: "child".into(),
        expires_in,
        ..Default::default()
    };
    refused_grant(
        admin.create_token(&with(None)).await,
        "expiresIn",
        "cannot create a token that never expires",
    );
    refused_grant(
        admin.create_token(&with(Some(3600))).await,
        "expiresIn",
        "cannot create a token that outlives it",
    );
    let child = admin.create_token(&with(Some(30))).await.unwrap();
    let (child_expires, creator_expires) = (child.expires.unwrap(), creator.expires.unwrap());
    assert!(child_expires <= creator_expires, "{child:?}");
    assert_eq!(master.list_tokens().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_secrets_are_never_written_to_the_data_dir() {
    let app = spawn_app().await;
    let (created, master) = app.new_project_full("p").await;
    let extra = master
        .create_token(&NewToken {
            description: "reader".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let secrets = [
        created.token.clone(),
        extra.token.clone().unwrap(),
        MANAGE_TOKEN.to_string(),
    ];
    // Use the tokens so that every code path that could log or store them has run.
    master.verify_token().await.unwrap();
    app.client(&secrets[1]).verify_token().await.unwrap();
    let files = files_under(&app.dir);
    assert!(files.iter().any(|f| f.ends_with("metadata.sqlite")));
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for secret in &secrets {
            // The random part alone must not appear either.
            let random_part = secret.rsplit('-').next().unwrap();
            assert!(
                !bytes
                    .windows(random_part.len())
                    .any(|w| w == random_part.as_bytes()),
                "{} holds a token secret in plain text",
                file.display()
            );
        }
    }
}
