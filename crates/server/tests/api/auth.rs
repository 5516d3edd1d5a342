//! Who may call what: 401 without a valid token, 403 outside a token's rights, 404 for another
//! project's objects.

use std::collections::BTreeMap;

use stackport_client::{Client, ExportParams, ImportParams};
use stackport_model::api::{BucketPermission, NewBucket, NewToken};
use stackport_model::Stage;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_endpoint_without_token_is_401() {
    let app = spawn_app().await;
    app.new_project("p").await;
    expect_error(
        app.anonymous().list_buckets(false).await,
        401,
        "invalidToken",
    );
    expect_error(app.anonymous().verify_token().await, 401, "invalidToken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_endpoint_with_unknown_token_is_401() {
    let app = spawn_app().await;
    let (created, _) = app.new_project_full("p").await;
    let forged = format!("{}x", created.token);
    expect_error(
        app.client(&forged).list_buckets(false).await,
        401,
        "invalidToken",
    );
    expect_error(
        app.client("not-a-token").verify_token().await,
        401,
        "invalidToken",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manage_endpoint_with_bad_or_missing_manage_token_is_401() {
    let app = spawn_app().await;
    let (_, project) = app.new_project_full("p").await;
    let wrong = Client::new(&app.url).with_manage_token("wrong-manage-token-0123456789abcdefghij");
    expect_error(wrong.list_projects().await, 401, "invalidToken");
    expect_error(app.anonymous().list_projects().await, 401, "invalidToken");
    // A project's Storage token is not a manage token.
    expect_error(project.list_projects().await, 401, "invalidToken");
    // The right one works.
    assert_eq!(app.manage.list_projects().await.unwrap().len(), 1);
}

both_backends!(other_projects_bucket_and_table_are_404);
async fn other_projects_bucket_and_table_are_404(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let a = app.new_project("A").await;
    let b = app.new_project("B").await;
    let b_table = bucket_with_table(&b, "secret", "t", &["id"], &[]).await;
    import_csv(&b, &b_table, "id\n1\n").await;
    let b_bucket = b_table.bucket().clone();

    expect_error(
        a.get_bucket(&b_bucket).await,
        404,
        "storage.buckets.notFound",
    );
    expect_error(a.get_table(&b_table).await, 404, "storage.tables.notFound");
    expect_error(
        a.export_table(&b_table, &ExportParams::default()).await,
        404,
        "storage.tables.notFound",
    );
    expect_error(
        import_with(&a, &b_table, &ImportParams::default(), "id\n2\n").await,
        404,
        "storage.tables.notFound",
    );
    expect_error(
        a.list_bucket_tables(&b_bucket).await,
        404,
        "storage.buckets.notFound",
    );
    expect_error(
        a.delete_bucket(&b_bucket, true).await,
        404,
        "storage.buckets.notFound",
    );
    expect_error(
        a.delete_table(&b_table).await,
        404,
        "storage.tables.notFound",
    );
    expect_error(
        a.bucket_metadata(&b_bucket).await,
        404,
        "storage.buckets.notFound",
    );

    // A sees none of B's objects in listings.
    assert!(a.list_buckets(false).await.unwrap().is_empty());
    assert!(a.list_tables().await.unwrap().is_empty());

    // B's data is untouched, and the same name is free in A.
    assert_eq!(
        export_csv(&b, &b_table).await,
        canonical(&["id"], &[&["1"]])
    );
    let own = create_bucket(&a, Stage::In, "secret").await;
    assert_eq!(own.id, b_bucket);
    assert!(a.list_bucket_tables(&own.id).await.unwrap().is_empty());
}

both_backends!(read_permission_exports_but_cannot_import_or_reach_other_buckets);
async fn read_permission_exports_but_cannot_import_or_reach_other_buckets(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let master = app.new_project("p").await;
    let x = bucket_with_table(&master, "x", "t", &["id", "v"], &[]).await;
    let y = bucket_with_table(&master, "y", "t", &["id"], &[]).await;
    let data = canonical(&["id", "v"], &[&["1", "a"], &["2", "b"]]);
    import_csv(&master, &x, &data).await;

    let token = master
        .create_token(&NewToken {
            description: "reader of x".into(),
            bucket_permissions: BTreeMap::from([(x.bucket().clone(), BucketPermission::Read)]),
            ..Default::default()
        })
        .await
        .unwrap();
    let reader = app.client(token.token.as_deref().unwrap());

    expect_error(
        import_with(&reader, &x, &ImportParams::default(), "id,v\n3,c\n").await,
        403,
        "accessDenied",
    );
    assert_eq!(export_csv(&reader, &x).await, data);
    assert_eq!(reader.get_table(&x).await.unwrap().rows_count, 2);

    // Bucket y exists, but the token has no right on it.
    expect_error(reader.get_bucket(y.bucket()).await, 403, "accessDenied");
    expect_error(reader.get_table(&y).await, 403, "accessDenied");
    expect_error(
        reader.export_table(&y, &ExportParams::default()).await,
        403,
        "accessDenied",
    );
    let visible: Vec<_> = reader
        .list_buckets(false)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(visible, vec![x.bucket().clone()]);
    let tables: Vec<_> = reader
        .list_tables()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(tables, vec![x.clone()]);

    // Read is not write or manage.
    expect_error(reader.delete_table(&x).await, 403, "accessDenied");
    expect_error(
        reader
            .create_bucket(&NewBucket {
                name: "z".into(),
                stage: Stage::In,
                display_name: None,
                description: None,
                backend: None,
            })
            .await,
        403,
        "accessDenied",
    );
    // The import was refused before it touched anything.
    assert_eq!(export_csv(&master, &x).await, data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_without_can_manage_tokens_cannot_list_or_create_tokens() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    let plain = master
        .create_token(&NewToken {
            description: "plain".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let client = app.client(plain.token.as_deref().unwrap());
    expect_error(client.list_tokens().await, 403, "accessDenied");
    expect_error(
        client
            .create_token(&NewToken {
                description: "child".into(),
                ..Default::default()
            })
            .await,
        403,
        "accessDenied",
    );
    // It may still read itself.
    assert_eq!(client.get_token(plain.id).await.unwrap().id, plain.id);
    assert_eq!(client.verify_token().await.unwrap().token.id, plain.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiring_now_is_refused_with_401() {
    let app = spawn_app().await;
    let master = app.new_project("p").await;
    // expiresIn is in seconds; 0 makes a token that has expired by the time it is used.
    let expired = master
        .create_token(&NewToken {
            description: "expires at once".into(),
            expires_in: Some(0),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(expired.is_expired);
    assert_eq!(expired.expires, Some(expired.created));
    expect_error(
        app.client(expired.token.as_deref().unwrap())
            .verify_token()
            .await,
        401,
        "invalidToken",
    );

    let hour = master
        .create_token(&NewToken {
            description: "an hour".into(),
            expires_in: Some(3600),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!hour.is_expired);
    let expires = hour.expires.expect("the token expires");
    assert_eq!(
        expires.timestamp_micros() - hour.created.timestamp_micros(),
        3_600_000_000,
        "expiresIn counts seconds"
    );
    let verified = app
        .client(hour.token.as_deref().unwrap())
        .verify_token()
        .await
        .unwrap();
    assert_eq!(verified.token.id, hour.id);
}

both_backends!(write_permission_changes_tables_in_its_bucket_only);
async fn write_permission_changes_tables_in_its_bucket_only(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let master = app.new_project("p").await;
    let x = create_bucket(&master, Stage::In, "x").await;
    let y = bucket_with_table(&master, "y", "t", &["id"], &[]).await;
    let reader_of_y = master
        .create_token(&NewToken {
            description: "reader of y".into(),
            bucket_permissions: BTreeMap::from([(y.bucket().clone(), BucketPermission::Read)]),
            ..Default::default()
        })
        .await
        .unwrap();
    let writer = master
        .create_token(&NewToken {
            description: "writer of x".into(),
            bucket_permissions: BTreeMap::from([(x.id.clone(), BucketPermission::Write)]),
            ..Default::default()
        })
        .await
        .unwrap();
    let writer = app.client(writer.token.as_deref().unwrap());

    let t = create_table(&writer, &x.id, "t", &["id", "v"], &[])
        .await
        .id;
    import_csv(&writer, &t, "id,v\n1,a\n1,b\n").await;
    writer
        .add_column(
            &t,
            &stackport_model::api::NewColumn {
                name: col("w"),
                definition: None,
            },
        )
        .await
        .unwrap();
    writer
        .write_table_metadata(
            &t,
            &stackport_model::api::MetadataWrite {
                provider: "user".into(),
                metadata: vec![stackport_model::api::MetadataKeyValue {
                    key: "k".into(),
                    value: "v".into(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    writer.delete_table(&t).await.unwrap();

    // Nothing outside bucket x, and no bucket management.
    expect_error(
        import_with(&writer, &y, &ImportParams::default(), "id\n1\n").await,
        403,
        "accessDenied",
    );
    expect_error(
        writer
            .create_table(
                y.bucket(),
                &stackport_model::api::NewTable {
                    name: "new".into(),
                    columns: cols(&["a"]),
                    ..Default::default()
                },
            )
            .await,
        403,
        "accessDenied",
    );
    expect_error(writer.delete_bucket(&x.id, true).await, 403, "accessDenied");

    // A read token may not write metadata.
    let reader = app.client(reader_of_y.token.as_deref().unwrap());
    expect_error(
        reader
            .write_table_metadata(
                &y,
                &stackport_model::api::MetadataWrite {
                    provider: "user".into(),
                    metadata: vec![stackport_model::api::MetadataKeyValue {
                        key: "k".into(),
                        value: "v".into(),
                    }],
                    ..Default::default()
                },
            )
            .await,
        403,
        "accessDenied",
    );
    assert!(reader.table_metadata(&y).await.unwrap().is_empty());
}
