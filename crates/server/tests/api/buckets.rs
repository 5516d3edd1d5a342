//! Buckets: created, listed, counted and deleted.

use stackport_model::api::NewBucket;
use stackport_model::Stage;

use crate::helpers::*;

fn new_bucket(name: &str, stage: Stage) -> NewBucket {
    NewBucket {
        name: name.into(),
        stage,
        display_name: None,
        description: None,
        backend: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_are_created_in_both_stages() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let input = client
        .create_bucket(&NewBucket {
            description: Some("raw sales".into()),
            ..new_bucket("sales", Stage::In)
        })
        .await
        .unwrap();
    assert_eq!(input.id, bucket_id("in.c-sales"));
    assert_eq!(input.name, "c-sales");
    assert_eq!(input.stage, Stage::In);
    assert_eq!(input.display_name, "sales");
    assert_eq!(input.description, "raw sales");
    assert_eq!(input.backend, "sqlite");
    assert_eq!((input.rows_count, input.data_size_bytes), (0, 0));

    let output = client
        .create_bucket(&NewBucket {
            display_name: Some("Reports".into()),
            ..new_bucket("reports", Stage::Out)
        })
        .await
        .unwrap();
    assert_eq!(output.id, bucket_id("out.c-reports"));
    assert_eq!(output.stage, Stage::Out);
    assert_eq!(output.display_name, "Reports");

    // The same name in the other stage is another bucket.
    let other = create_bucket(&client, Stage::Out, "sales").await;
    assert_eq!(other.id, bucket_id("out.c-sales"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_bucket_is_409() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    create_bucket(&client, Stage::In, "dup").await;
    expect_error(
        client.create_bucket(&new_bucket("dup", Stage::In)).await,
        409,
        "storage.buckets.alreadyExists",
    );
    // Ids are compared case-insensitively.
    expect_error(
        client.create_bucket(&new_bucket("DUP", Stage::In)).await,
        409,
        "storage.buckets.alreadyExists",
    );
    assert_eq!(client.list_buckets(false).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_bucket_name_is_400() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    for bad in ["with space", "dot.ted", "", "slash/es", &"x".repeat(97)] {
        let err = expect_status(client.create_bucket(&new_bucket(bad, Stage::In)).await, 400);
        assert_eq!(err.code, "invalidId", "{bad}: {}", err.error);
    }
    assert!(client.list_buckets(false).await.unwrap().is_empty());
    // The longest allowed name works.
    create_bucket(&client, Stage::In, &"x".repeat(96)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_are_got_and_listed() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let a = create_bucket(&client, Stage::In, "a").await;
    let b = create_bucket(&client, Stage::Out, "b").await;
    let got = client.get_bucket(&a.id).await.unwrap();
    assert_eq!(got.id, a.id);
    assert_eq!(got.created, a.created);
    let mut ids: Vec<_> = client
        .list_buckets(false)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    ids.sort();
    assert_eq!(ids, vec![a.id.clone(), b.id.clone()]);
    expect_error(
        client.get_bucket(&bucket_id("in.c-missing")).await,
        404,
        "storage.buckets.notFound",
    );
}

both_backends!(non_empty_bucket_is_deleted_only_with_force);
async fn non_empty_bucket_is_deleted_only_with_force(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t1 = bucket_with_table(&client, "full", "one", &["id"], &[]).await;
    let t2 = create_table(&client, t1.bucket(), "two", &["id"], &[])
        .await
        .id;
    import_csv(&client, &t1, "id\n1\n2\n").await;
    let bucket = t1.bucket().clone();
    let note = |key: &str| stackport_model::api::MetadataWrite {
        provider: "user".into(),
        metadata: vec![stackport_model::api::MetadataKeyValue {
            key: key.into(),
            value: "old".into(),
        }],
        columns_metadata: std::collections::BTreeMap::from([(
            "id".to_string(),
            vec![stackport_model::api::MetadataKeyValue {
                key: key.into(),
                value: "old".into(),
            }],
        )]),
    };
    client
        .write_table_metadata(&t1, &note("table"))
        .await
        .unwrap();
    client
        .write_bucket_metadata(
            &bucket,
            &stackport_model::api::MetadataWrite {
                columns_metadata: Default::default(),
                ..note("bucket")
            },
        )
        .await
        .unwrap();

    expect_error(
        client.delete_bucket(&bucket, false).await,
        400,
        "storage.buckets.notEmpty",
    );
    assert_eq!(client.get_bucket(&bucket).await.unwrap().rows_count, 2);
    assert_eq!(export_csv(&client, &t1).await, "\"id\"\n\"1\"\n\"2\"\n");

    client.delete_bucket(&bucket, true).await.unwrap();
    expect_error(
        client.get_bucket(&bucket).await,
        404,
        "storage.buckets.notFound",
    );
    expect_error(client.get_table(&t1).await, 404, "storage.tables.notFound");
    expect_error(client.get_table(&t2).await, 404, "storage.tables.notFound");
    assert!(client.list_tables().await.unwrap().is_empty());
    assert!(client.list_buckets(false).await.unwrap().is_empty());

    // The name is free again, and the new bucket starts empty, without the old metadata.
    let again = bucket_with_table(&client, "full", "one", &["id"], &[]).await;
    assert_eq!(export_csv(&client, &again).await, "\"id\"\n");
    let bucket_again = client.get_bucket(again.bucket()).await.unwrap();
    assert_eq!(bucket_again.rows_count, 0);
    assert_eq!(bucket_again.metadata.as_deref(), Some(&[][..]));
    let table_again = client.get_table(&again).await.unwrap();
    assert_eq!(table_again.metadata.as_deref(), Some(&[][..]));
    assert!(table_again.column_metadata.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_bucket_is_deleted() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let b = create_bucket(&client, Stage::Out, "empty").await;
    client.delete_bucket(&b.id, false).await.unwrap();
    expect_error(
        client.get_bucket(&b.id).await,
        404,
        "storage.buckets.notFound",
    );
    expect_error(
        client.delete_bucket(&b.id, false).await,
        404,
        "storage.buckets.notFound",
    );
}

both_backends!(bucket_rows_and_bytes_add_up_over_its_tables);
async fn bucket_rows_and_bytes_add_up_over_its_tables(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t1 = bucket_with_table(&client, "sum", "one", &["id", "name"], &[]).await;
    let t2 = create_table(&client, t1.bucket(), "two", &["k"], &[])
        .await
        .id;
    let rows1: &[&[&str]] = &[&["1", "Ann"], &["2", "Bob \"B\""], &["3", "Zoë"]];
    let rows2: &[&[&str]] = &[&["x"], &["yy"]];
    let r1 = import_csv(&client, &t1, &canonical(&["id", "name"], rows1)).await;
    let r2 = import_csv(&client, &t2, &canonical(&["k"], rows2)).await;
    assert_eq!((r1.rows_count, r1.data_size_bytes), (3, value_bytes(rows1)));
    assert_eq!((r2.rows_count, r2.data_size_bytes), (2, value_bytes(rows2)));

    let one = client.get_table(&t1).await.unwrap();
    let two = client.get_table(&t2).await.unwrap();
    assert_eq!(
        (one.rows_count, one.data_size_bytes),
        (3, value_bytes(rows1))
    );
    assert_eq!(
        (two.rows_count, two.data_size_bytes),
        (2, value_bytes(rows2))
    );

    let bucket = client.get_bucket(t1.bucket()).await.unwrap();
    assert_eq!(bucket.rows_count, 5);
    assert_eq!(
        bucket.data_size_bytes,
        value_bytes(rows1) + value_bytes(rows2)
    );
    let listed = client.list_buckets(false).await.unwrap();
    assert_eq!(listed[0].rows_count, 5);
    assert_eq!(listed[0].data_size_bytes, bucket.data_size_bytes);

    // A full import replaces the counts, it does not add to them.
    import_csv(&client, &t2, &canonical(&["k"], &[&["z"]])).await;
    let bucket = client.get_bucket(t1.bucket()).await.unwrap();
    assert_eq!(bucket.rows_count, 4);
    assert_eq!(bucket.data_size_bytes, value_bytes(rows1) + 1);
}
