//! What a migration needs from a stack beyond everyday use: one `_timestamp` for a whole import,
//! the project's own metadata, and the member list readable with a master Storage token.

use stackport_client::ImportParams;
use stackport_model::api::{MetadataKeyValue, MetadataWrite, NewProjectUser, NewToken, UserRole};

use crate::helpers::*;

both_backends!(an_import_can_give_every_row_one_timestamp);
async fn an_import_can_give_every_row_one_timestamp(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let table = bucket_with_table(&client, "t", "rows", &["id"], &[]).await;
    let instant = "2026-03-01T10:20:30Z";
    let params = ImportParams {
        timestamp: Some(instant.into()),
        ..Default::default()
    };
    import_with(&client, &table, &params, "id\n1\n2\n")
        .await
        .unwrap();
    let params = ImportParams {
        timestamp: Some(instant.into()),
        incremental: true,
        ..Default::default()
    };
    import_with(&client, &table, &params, "id\n3\n")
        .await
        .unwrap();
    let exported = export_with(
        &client,
        &table,
        &stackport_client::ExportParams {
            include_internal_timestamp: true,
            ..Default::default()
        },
    )
    .await;
    let lines: Vec<&str> = exported.lines().skip(1).collect();
    assert_eq!(lines.len(), 3);
    for line in lines {
        assert!(line.contains("2026-03-01T10:20:30"), "{line}");
    }

    let bad = ImportParams {
        timestamp: Some("yesterday-ish".into()),
        ..Default::default()
    };
    let body = expect_error(
        import_with(&client, &table, &bad, "id\n9\n").await,
        400,
        "storage.import.invalidTimestamp",
    );
    assert!(body.error.contains("yesterday-ish"), "{}", body.error);
    let both = ImportParams {
        timestamp: Some(instant.into()),
        use_timestamp_from_data_file: true,
        ..Default::default()
    };
    expect_error(
        import_with(
            &client,
            &table,
            &both,
            "id,_timestamp\n9,2026-01-01T00:00:00Z\n",
        )
        .await,
        400,
        "storage.import.timestampConflict",
    );
    assert_eq!(
        export_csv(&client, &table).await.lines().count(),
        4,
        "nothing more was imported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_metadata_is_read_by_any_token_and_written_by_the_master() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    let write = MetadataWrite {
        provider: "user".into(),
        metadata: vec![MetadataKeyValue {
            key: "KBC.projectDescription".into(),
            value: "Sales analytics".into(),
        }],
        ..Default::default()
    };
    let entries = client.write_project_metadata(&write).await.unwrap();
    assert_eq!(entries.len(), 1);
    let limited = client
        .create_token(&NewToken {
            description: "reader".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let reader = app.client(limited.token.as_deref().unwrap());
    let seen = reader.project_metadata().await.unwrap();
    assert_eq!(seen[0].value, "Sales analytics");
    expect_status(reader.write_project_metadata(&write).await, 403);

    let other = app.new_project("q").await;
    assert!(
        other.project_metadata().await.unwrap().is_empty(),
        "projects do not share it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_token_lists_its_own_projects_members() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    app.manage
        .invite_user(
            created.project.id,
            &NewProjectUser {
                email: "ana@example.com".into(),
                role: UserRole::Admin,
            },
        )
        .await
        .unwrap();
    let users = client.list_project_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email, "ana@example.com");
    let limited = client
        .create_token(&NewToken {
            description: "not master".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    expect_status(
        app.client(limited.token.as_deref().unwrap())
            .list_project_users()
            .await,
        403,
    );
}

both_backends!(a_fingerprint_ignores_row_order_and_timestamps_but_not_contents);
async fn a_fingerprint_ignores_row_order_and_timestamps_but_not_contents(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let a = bucket_with_table(&client, "a", "t", &["id", "note"], &[]).await;
    let b = create_table(&client, &bucket_id("in.c-a"), "u", &["id", "note"], &[])
        .await
        .id;
    import_csv(&client, &a, "id,note\n1,x\n2,\"multi\nline\"\n3,\n").await;
    import_csv(&client, &b, "id,note\n3,\n1,x\n").await;
    // Later, and so with other _timestamps: only the order and the time differ.
    import_incremental(&client, &b, "id,note\n2,\"multi\nline\"\n").await;
    let fa = client.table_fingerprint(&a).await.unwrap();
    let fb = client.table_fingerprint(&b).await.unwrap();
    assert_eq!(fa.rows_count, 3);
    assert_eq!(fa.algorithm, "rows-sha256-sum/v1");
    assert_eq!(fa.hash, fb.hash, "same rows, other order and times");

    import_incremental(&client, &b, "id,note\n2,\"multi\nline\"\n").await;
    let doubled = client.table_fingerprint(&b).await.unwrap();
    assert_eq!(doubled.rows_count, 4);
    assert_ne!(doubled.hash, fa.hash, "a duplicated row counts");

    import_csv(&client, &b, "id,note\n1,x\n2,\"multi\nline\"\n3, \n").await;
    let spaced = client.table_fingerprint(&b).await.unwrap();
    assert_eq!(spaced.rows_count, 3);
    assert_ne!(spaced.hash, fa.hash, "one space differs");
    expect_status(
        client.table_fingerprint(&table_id("in.c-a.missing")).await,
        404,
    );
}

both_backends!(an_import_with_an_idempotency_key_applies_once);
async fn an_import_with_an_idempotency_key_applies_once(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let table = bucket_with_table(&client, "t", "rows", &["id"], &[]).await;
    let keyed = |key: &str, incremental| ImportParams {
        idempotency_key: Some(key.into()),
        incremental,
        ..Default::default()
    };
    let first = import_with(&client, &table, &keyed("m-1/rows/0", false), "id\n1\n2\n")
        .await
        .unwrap();
    assert!(!first.replayed);
    let second = import_with(&client, &table, &keyed("m-1/rows/1", true), "id\n3\n")
        .await
        .unwrap();
    assert_eq!(second.rows_count, 3);
    // The client never saw the answer to chunk 0 and sends it again: a full load would wipe
    // chunk 1, so the replay must change nothing.
    let replay = import_with(&client, &table, &keyed("m-1/rows/0", false), "id\n1\n2\n")
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!((replay.imported_rows, replay.rows_count), (2, 3));
    assert_eq!(
        export_csv(&client, &table).await,
        "\"id\"\n\"1\"\n\"2\"\n\"3\"\n"
    );

    let other = bucket_with_table(&client, "u", "rows", &["id"], &[]).await;
    expect_error(
        import_with(&client, &other, &keyed("m-1/rows/0", false), "id\n9\n").await,
        409,
        "storage.import.keyUsedElsewhere",
    );
    expect_error(
        import_with(&client, &table, &keyed("has space", false), "id\n9\n").await,
        400,
        "storage.import.invalidIdempotencyKey",
    );
    assert_eq!(export_csv(&client, &other).await, "\"id\"\n");
}
