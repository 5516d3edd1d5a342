//! `export-async` (a headerless Storage file, gzip when asked, the export's filters) and
//! `data-preview` (CSV with a header, at most 1000 rows).

use std::io::Read;

use stackport_model::api::query::ExportQuery;
use stackport_model::api::StorageJobStatus;
use stackport_model::FileId;

use crate::helpers::*;
use crate::storage_jobs::wait;

async fn table_of_three(client: &stackport_client::Client) -> stackport_model::TableId {
    let t = bucket_with_table(client, "main", "t", &["id", "colour"], &["id"]).await;
    import_csv(
        client,
        &t,
        &canonical(
            &["id", "colour"],
            &[&["1", "red"], &["2", "blue"], &["3", "red"]],
        ),
    )
    .await;
    t
}

both_backends!(an_export_job_makes_a_headerless_file_gzipped_when_asked);
async fn an_export_job_makes_a_headerless_file_gzipped_when_asked(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("jobs").await;
    let t = table_of_three(&client).await;
    // What kbcstorage's export_raw posts.
    let response = reqwest::Client::new()
        .post(format!("{}/v2/storage/tables/{t}/export-async", app.url))
        .header("X-StorageApi-Token", &created.token)
        .form(&[
            ("gzip", "1"),
            ("whereValues[]", "red"),
            ("whereColumn", "colour"),
            ("whereOperator", "eq"),
            ("columns", "colour,id"),
            ("changedSince", "-2 days"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let done = wait(&client, &response.json().await.unwrap()).await;
    assert_eq!(done.status, StorageJobStatus::Success, "{:?}", done.error);
    let file = FileId(done.results["file"]["id"].as_u64().expect("a file id"));
    let info = client.get_file(file).await.unwrap();
    assert!(
        info.tags.contains(&"table-export".to_string()),
        "{:?}",
        info.tags
    );
    let gz = client.download_file(file).await.unwrap();
    let mut csv = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut csv)
        .expect("the file is gzip");
    let mut lines: Vec<&str> = csv.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        vec!["\"red\",\"1\"", "\"red\",\"3\""],
        "no header, filtered"
    );

    let plain = client
        .export_table_async(&t, &ExportQuery::default())
        .await
        .unwrap();
    let done = wait(&client, &plain).await;
    let file = FileId(done.results["file"]["id"].as_u64().unwrap());
    let text = String::from_utf8(client.download_file(file).await.unwrap().to_vec()).unwrap();
    assert_eq!(text.lines().count(), 3, "three rows and no header: {text}");
    assert!(!text.contains("\"id\""), "{text}");
}

both_backends!(an_export_of_a_column_the_table_lacks_is_refused_at_once);
async fn an_export_of_a_column_the_table_lacks_is_refused_at_once(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("jobs").await;
    let t = table_of_three(&client).await;
    let query = ExportQuery {
        columns: Some(strings(&["nope"])),
        ..Default::default()
    };
    let sync = expect_error(
        client
            .export_table(
                &t,
                &stackport_client::ExportParams {
                    columns: Some(strings(&["nope"])),
                    ..Default::default()
                },
            )
            .await,
        400,
        "storage.tables.columnNotFound",
    );
    let refused = expect_error(
        client.export_table_async(&t, &query).await,
        400,
        "storage.tables.columnNotFound",
    );
    assert_eq!(refused.error, sync.error);
}

both_backends!(a_preview_is_csv_with_a_header_and_takes_the_filters);
async fn a_preview_is_csv_with_a_header_and_takes_the_filters(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("jobs").await;
    let t = table_of_three(&client).await;
    let all = client
        .preview_table(&t, &ExportQuery::default())
        .await
        .unwrap();
    assert_eq!(all.lines().next(), Some("\"id\",\"colour\""));
    assert_eq!(all.lines().count(), 4);
    let query = ExportQuery {
        where_column: Some(col("colour")),
        where_values: strings(&["blue"]),
        columns: Some(strings(&["id"])),
        ..Default::default()
    };
    assert_eq!(
        client.preview_table(&t, &query).await.unwrap(),
        "\"id\"\n\"2\"\n"
    );
    let limited = ExportQuery {
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(
        client
            .preview_table(&t, &limited)
            .await
            .unwrap()
            .lines()
            .count(),
        2
    );
    let too_many = ExportQuery {
        limit: Some(1001),
        ..Default::default()
    };
    expect_error(
        client.preview_table(&t, &too_many).await,
        400,
        "storage.preview.invalidLimit",
    );
}
