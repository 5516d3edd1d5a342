//! Events: every write records one, naming the token that made it.

use std::collections::BTreeMap;

use stackport_client::EventQuery;
use stackport_model::api::{BucketPermission, Event, NewToken};
use stackport_model::Stage;

use crate::helpers::*;

fn names(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

both_backends!(bucket_table_and_import_record_events_with_the_token);
async fn bucket_table_and_import_record_events_with_the_token(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let me = client.verify_token().await.unwrap().token;
    let t = bucket_with_table(&client, "ev", "t", &["id"], &[]).await;
    import_csv(&client, &t, "id\n1\n2\n").await;

    let events = client.list_events(&EventQuery::default()).await.unwrap();
    let find = |name: &str| {
        events
            .iter()
            .find(|e| e.event == name)
            .unwrap_or_else(|| panic!("no {name} event in {:?}", names(&events)))
    };
    let bucket = find("storage.bucketCreated");
    assert_eq!(bucket.object_type, "bucket");
    assert_eq!(bucket.object_id, "in.c-ev");
    let table = find("storage.tableCreated");
    assert_eq!(table.object_type, "table");
    assert_eq!(table.object_id, "in.c-ev.t");
    let import = find("storage.tableImportDone");
    assert_eq!(import.object_type, "table");
    assert_eq!(import.object_id, "in.c-ev.t");
    assert_eq!(import.params["importedRows"], 2);
    for e in [bucket, table, import] {
        assert_eq!(e.kind, "info");
        assert_eq!(e.token.as_ref().map(|t| t.id), Some(me.id), "{}", e.event);
        assert_eq!(
            e.token.as_ref().map(|t| t.description.as_str()),
            Some(me.description.as_str())
        );
    }
    // Newest first, in the order they happened.
    assert!(bucket.id < table.id && table.id < import.id);
    let ids: Vec<_> = events.iter().map(|e| e.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);

    // Another token's writes carry its id.
    let other = client
        .create_token(&NewToken {
            description: "loader".into(),
            bucket_permissions: BTreeMap::from([(t.bucket().clone(), BucketPermission::Write)]),
            ..Default::default()
        })
        .await
        .unwrap();
    let loader = app.client(other.token.as_deref().unwrap());
    import_incremental(&loader, &t, "id\n3\n").await;
    let latest = client
        .list_events(&EventQuery {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&latest), vec!["storage.tableImportDone"]);
    assert_eq!(latest[0].token.as_ref().map(|t| t.id), Some(other.id));
    assert_eq!(latest[0].params["importedRows"], 1);
}

both_backends!(events_are_filtered_by_object);
async fn events_are_filtered_by_object(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t1 = bucket_with_table(&client, "ev", "one", &["id"], &[]).await;
    let t2 = create_table(&client, t1.bucket(), "two", &["id"], &[])
        .await
        .id;
    import_csv(&client, &t1, "id\n1\n").await;
    import_csv(&client, &t2, "id\n1\n").await;

    let of_t1 = client
        .list_events(&EventQuery {
            object_type: Some("table".into()),
            object_id: Some(t1.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        names(&of_t1),
        vec!["storage.tableImportDone", "storage.tableCreated"]
    );
    assert!(of_t1.iter().all(|e| e.object_id == t1.to_string()));

    let tables = client
        .list_events(&EventQuery {
            object_type: Some("table".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tables.len(), 4);
    assert!(tables.iter().all(|e| e.object_type == "table"));

    let buckets = client
        .list_events(&EventQuery {
            object_type: Some("bucket".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&buckets), vec!["storage.bucketCreated"]);
    assert_eq!(buckets[0].object_id, t1.bucket().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_id_returns_only_newer_events() {
    let app = spawn_app().await;
    let client = app.new_project("p").await;
    create_bucket(&client, Stage::In, "first").await;
    let before = client.list_events(&EventQuery::default()).await.unwrap();
    let last = before[0].id;

    let second = create_bucket(&client, Stage::In, "second").await;
    let t = create_table(&client, &second.id, "t", &["id"], &[]).await;
    let newer = client
        .list_events(&EventQuery {
            since_id: Some(last),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        names(&newer),
        vec!["storage.tableCreated", "storage.bucketCreated"]
    );
    assert_eq!(newer[0].object_id, t.id.to_string());
    assert_eq!(newer[1].object_id, "in.c-second");
    assert!(newer.iter().all(|e| e.id > last));

    let none = client
        .list_events(&EventQuery {
            since_id: Some(newer[0].id),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty(), "{:?}", names(&none));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_another_project_are_not_listed() {
    let app = spawn_app().await;
    let a = app.new_project("A").await;
    let b = app.new_project("B").await;
    create_bucket(&b, Stage::In, "b-only").await;
    let events = a.list_events(&EventQuery::default()).await.unwrap();
    assert!(
        events.iter().all(|e| e.object_id != "in.c-b-only"),
        "{:?}",
        names(&events)
    );
    let b_events = b
        .list_events(&EventQuery {
            object_type: Some("bucket".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&b_events), vec!["storage.bucketCreated"]);
}

both_backends!(limited_token_sees_only_events_of_its_buckets_and_its_own);
async fn limited_token_sees_only_events_of_its_buckets_and_its_own(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let master = app.new_project("p").await;
    let x = bucket_with_table(&master, "x", "t", &["id"], &[]).await;
    let y = bucket_with_table(&master, "y", "t", &["id"], &[]).await;
    import_csv(&master, &x, "id\n1\n").await;
    import_csv(&master, &y, "id\n1\n").await;
    let token = master
        .create_token(&NewToken {
            description: "reader of x".into(),
            bucket_permissions: BTreeMap::from([(x.bucket().clone(), BucketPermission::Read)]),
            ..Default::default()
        })
        .await
        .unwrap();
    let reader = app.client(token.token.as_deref().unwrap());
    let events = reader.list_events(&EventQuery::default()).await.unwrap();
    assert!(!events.is_empty());
    for e in &events {
        let about_x = e.object_id == x.bucket().to_string() || e.object_id == x.to_string();
        assert!(
            about_x,
            "{} about {} {} is not visible to a reader of x",
            e.event, e.object_type, e.object_id
        );
    }
    assert_eq!(
        names(&events),
        vec![
            "storage.tableImportDone",
            "storage.tableCreated",
            "storage.bucketCreated"
        ]
    );
    // Filtering for the other bucket finds nothing.
    let of_y = reader
        .list_events(&EventQuery {
            object_type: Some("table".into()),
            object_id: Some(y.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(of_y.is_empty(), "{:?}", names(&of_y));
}

both_backends!(every_kind_of_write_records_its_event);
async fn every_kind_of_write_records_its_event(backend: Backend) {
    use stackport_client::FileUpload;
    use stackport_model::api::{MetadataKeyValue, MetadataWrite, NewAlias, NewColumn};

    let app = spawn_app_on(backend).await;
    let client = app.new_project("p").await;
    let t = bucket_with_table(&client, "ev", "t", &["id", "v"], &[]).await;
    let out = create_bucket(&client, Stage::Out, "views").await;
    let alias = client
        .create_alias(
            &out.id,
            &NewAlias {
                source_table: t.clone(),
                name: "a".into(),
                alias_filter: None,
                alias_columns: Vec::new(),
            },
        )
        .await
        .unwrap();
    client
        .add_column(
            &t,
            &NewColumn {
                name: col("extra"),
                definition: None,
            },
        )
        .await
        .unwrap();
    client.delete_column(&t, &col("extra")).await.unwrap();
    client.set_primary_key(&t, &cols(&["id"])).await.unwrap();
    client.remove_primary_key(&t).await.unwrap();
    import_csv(&client, &t, "id,v\n1,a\n").await;
    let written = client
        .write_table_metadata(
            &t,
            &MetadataWrite {
                provider: "user".into(),
                metadata: vec![MetadataKeyValue {
                    key: "k".into(),
                    value: "v".into(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    client
        .delete_table_metadata(&t, written[0].id)
        .await
        .unwrap();
    let file = client
        .upload_file(
            &FileUpload {
                name: "f".into(),
                ..Default::default()
            },
            b"x".to_vec(),
        )
        .await
        .unwrap();
    client.delete_file(file.id).await.unwrap();
    let token = client
        .create_token(&NewToken {
            description: "short-lived".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    client.delete_token(token.id).await.unwrap();
    client.delete_table(&alias.id).await.unwrap();
    client.delete_table(&t).await.unwrap();
    client.delete_bucket(&out.id, false).await.unwrap();

    let events = client
        .list_events(&EventQuery {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut happened = names(&events);
    happened.reverse();
    assert_eq!(
        happened,
        vec![
            "storage.projectCreated",
            "storage.tokenCreated",
            "storage.bucketCreated",
            "storage.tableCreated",
            "storage.bucketCreated",
            "storage.tableAliasCreated",
            "storage.tableColumnAdded",
            "storage.tableColumnDeleted",
            "storage.tablePrimaryKeySet",
            "storage.tablePrimaryKeyDeleted",
            "storage.tableImportDone",
            "storage.metadataWritten",
            "storage.metadataDeleted",
            "storage.fileUploaded",
            "storage.fileDeleted",
            "storage.tokenCreated",
            "storage.tokenDeleted",
            "storage.tableDeleted",
            "storage.tableDeleted",
            "storage.bucketDeleted",
        ]
    );
    // The stack administrator's writes name no token.
    assert_eq!(events.last().unwrap().token, None);
}
