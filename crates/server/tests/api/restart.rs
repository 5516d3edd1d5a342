//! Everything a stack holds survives stopping the server and starting a new one on its data dir.

use std::collections::BTreeMap;

use stackport_client::{EventQuery, FileUpload};
use stackport_model::api::{MetadataKeyValue, MetadataWrite, NewToken};

use crate::helpers::*;

both_backends!(data_survives_a_server_restart);
async fn data_survives_a_server_restart(backend: Backend) {
    let mut app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("durable").await;
    let t = bucket_with_table(&client, "keep", "orders", &["id", "název", "note"], &["id"]).await;
    let data = canonical(
        &["id", "název", "note"],
        &[
            &["1", "Ann", "line\nbreak"],
            &["2", "Zoë", "\"quoted\""],
            &["3", "", "😀"],
        ],
    );
    import_csv(&client, &t, &data).await;
    client
        .write_table_metadata(
            &t,
            &MetadataWrite {
                provider: "user".into(),
                metadata: vec![MetadataKeyValue {
                    key: "KBC.description".into(),
                    value: "kept".into(),
                }],
                columns_metadata: BTreeMap::from([(
                    "note".to_string(),
                    vec![MetadataKeyValue {
                        key: "unit".into(),
                        value: "text".into(),
                    }],
                )]),
            },
        )
        .await
        .unwrap();
    let content = b"file content\x00\xff".to_vec();
    let file = client
        .upload_file(
            &FileUpload {
                name: "keep.bin".into(),
                tags: strings(&["keep"]),
                is_permanent: true,
                max_age_days: None,
            },
            content.clone(),
        )
        .await
        .unwrap();
    let extra = client
        .create_token(&NewToken {
            description: "extra".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let table_before = client.get_table(&t).await.unwrap();
    let bucket_before = client.get_bucket(t.bucket()).await.unwrap();
    let tokens_before = client.list_tokens().await.unwrap();
    let events_before = client.list_events(&EventQuery::default()).await.unwrap();
    let projects_before = app.manage.list_projects().await.unwrap();

    app.stop().await;
    app.start().await;

    let client = app.client(&created.token);
    let verified = client.verify_token().await.unwrap();
    assert_eq!(verified.owner.id, created.project.id);
    assert_eq!(app.manage.list_projects().await.unwrap(), projects_before);

    assert_eq!(export_csv(&client, &t).await, data);
    assert_eq!(client.get_table(&t).await.unwrap(), table_before);
    assert_eq!(client.get_bucket(t.bucket()).await.unwrap(), bucket_before);
    assert_eq!(client.list_tokens().await.unwrap(), tokens_before);
    assert_eq!(
        client.list_events(&EventQuery::default()).await.unwrap(),
        events_before
    );
    assert_eq!(client.get_file(file.id).await.unwrap(), file);
    assert_eq!(
        &client.download_file(file.id).await.unwrap()[..],
        &content[..]
    );
    app.client(extra.token.as_deref().unwrap())
        .verify_token()
        .await
        .unwrap();

    // And it keeps working: the key still upserts.
    import_incremental(&client, &t, "id,název,note\n2,Zoe,\n4,Dan,new\n").await;
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(
            &["id", "název", "note"],
            &[
                &["1", "Ann", "line\nbreak"],
                &["2", "Zoe", ""],
                &["3", "", "😀"],
                &["4", "Dan", "new"],
            ]
        )
    );
}
