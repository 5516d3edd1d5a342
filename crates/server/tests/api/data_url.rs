//! `dataUrl` on the asynchronous table flows: the job downloads the address (through the
//! stack's outbound rules) and loads it as it would a Storage file. The remote is a tiny HTTP
//! server of the test on 127.0.0.1, which `network.outboundAllow` must list.

use stackport_model::api::query::{AsyncTableCreateQuery, ImportQuery, StorageJobListQuery};
use stackport_model::api::StorageJobStatus;
use stackport_stack::StackSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;
use crate::storage_jobs::wait;

/// Serves fixed answers on 127.0.0.1: `/people.csv`, `/more.csv`, `/moved` (a redirect to
/// 127.0.0.2, which the tests do not allow) and a 404 for anything else. Returns its origin.
async fn remote() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match socket.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                let (status, extra, body) = match path.as_str() {
                    "/people.csv" => ("200 OK", String::new(), "id,name\n1,Ann\n2,Bob\n"),
                    "/more.csv" => ("200 OK", String::new(), "id,name\n3,Cid\n"),
                    "/moved" => (
                        "302 Found",
                        format!("Location: http://127.0.0.2:{port}/people.csv\r\n"),
                        "",
                    ),
                    _ => ("404 Not Found", String::new(), "no such file"),
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

async fn allowing_loopback(backend: Backend) -> TestApp {
    let mut settings = StackSettings::local_default("127.0.0.1:0");
    settings.network.outbound_allow = vec!["127.0.0.1".into()];
    spawn_app_with_on(backend, settings).await
}

fn create_from(url: &str) -> AsyncTableCreateQuery {
    AsyncTableCreateQuery {
        name: Some("people".into()),
        data_url: Some(url.into()),
        ..Default::default()
    }
}

both_backends!(a_table_is_created_from_an_allowed_url_and_more_rows_imported);
async fn a_table_is_created_from_an_allowed_url_and_more_rows_imported(backend: Backend) {
    let origin = remote().await;
    let app = allowing_loopback(backend).await;
    let (created, client) = app.new_project_full("urls").await;
    let bucket = create_bucket(&client, stackport_model::Stage::In, "main").await;
    let job = client
        .create_table_async(&bucket.id, &create_from(&format!("{origin}/people.csv")))
        .await
        .expect("the job is accepted");
    let done = wait(&client, &job).await;
    assert_eq!(done.status, StorageJobStatus::Success, "{:?}", done.error);
    let table = table_id("in.c-main.people");
    assert_eq!(
        export_csv(&client, &table).await,
        canonical(&["id", "name"], &[&["1", "Ann"], &["2", "Bob"]])
    );
    // As kbcstorage's load_raw would post it, with a URL instead of a file id.
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v2/storage/tables/{table}/import-async",
            app.url
        ))
        .header("X-StorageApi-Token", &created.token)
        .form(&[
            ("delimiter", ","),
            ("enclosure", "\""),
            ("incremental", "1"),
            ("dataUrl", &format!("{origin}/more.csv")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let job = response.json().await.unwrap();
    let done = wait(&client, &job).await;
    assert_eq!(done.status, StorageJobStatus::Success, "{:?}", done.error);
    assert_eq!(
        done.results["totalRowsCount"], 3,
        "the table's rows after the load"
    );
    assert_eq!(
        export_csv(&client, &table).await,
        canonical(
            &["id", "name"],
            &[&["1", "Ann"], &["2", "Bob"], &["3", "Cid"]]
        )
    );
}

both_backends!(a_url_the_outbound_rules_refuse_is_a_400_and_no_job);
async fn a_url_the_outbound_rules_refuse_is_a_400_and_no_job(backend: Backend) {
    let origin = remote().await;
    let app = spawn_app_on(backend).await;
    let client = app.new_project("urls").await;
    let bucket = create_bucket(&client, stackport_model::Stage::In, "main").await;
    let refused = expect_status(
        client
            .create_table_async(&bucket.id, &create_from(&format!("{origin}/people.csv")))
            .await,
        400,
    );
    assert_eq!(refused.code, "storage.jobs.dataUrlRefused");
    assert!(
        refused.error.contains("dataUrl") && refused.error.contains("network.outboundAllow"),
        "{}",
        refused.error
    );
    let t = create_table(&client, &bucket.id, "t", &["id", "name"], &[])
        .await
        .id;
    for bad in ["ftp://127.0.0.1/x.csv", "not a url", "file:///etc/passwd"] {
        let answer = expect_status(
            client
                .import_table_async(
                    &t,
                    &ImportQuery {
                        data_url: Some(bad.into()),
                        ..Default::default()
                    },
                )
                .await,
            400,
        );
        assert_eq!(answer.code, "storage.jobs.invalidDataUrl", "{bad}");
        assert!(answer.error.contains("dataUrl"), "{}", answer.error);
    }
    assert!(client
        .list_storage_jobs(&StorageJobListQuery::default())
        .await
        .unwrap()
        .is_empty());
}

both_backends!(a_remote_error_or_a_refused_redirect_fails_the_job);
async fn a_remote_error_or_a_refused_redirect_fails_the_job(backend: Backend) {
    let origin = remote().await;
    let app = allowing_loopback(backend).await;
    let client = app.new_project("urls").await;
    let bucket = create_bucket(&client, stackport_model::Stage::In, "main").await;
    let job = client
        .create_table_async(
            &bucket.id,
            &create_from(&format!("{origin}/gone.csv?sig=s3cr3t-signature")),
        )
        .await
        .expect("the job is accepted");
    let done = wait(&client, &job).await;
    assert_eq!(done.status, StorageJobStatus::Error);
    let error = done.error.expect("the job says why");
    assert_eq!(error.code, "storage.jobs.dataUrlFetchFailed");
    assert!(error.message.contains("404"), "{}", error.message);
    assert!(!error.message.contains("s3cr3t"), "{}", error.message);
    // A presigned URL's query is a credential: the job keeps the URL sealed, never in the
    // clear, on disk or in its answer.
    let shown = done.operation_params.to_string();
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert_no_plaintext(&app.dir, "s3cr3t-signature");
    let job = client
        .create_table_async(&bucket.id, &create_from(&format!("{origin}/moved")))
        .await
        .expect("the job is accepted");
    let done = wait(&client, &job).await;
    let error = done.error.expect("the redirect is refused");
    assert_eq!(error.code, "storage.jobs.dataUrlRefused");
    assert!(
        error.message.contains("127.0.0.2") && error.message.contains("network.outboundAllow"),
        "{}",
        error.message
    );
    assert!(
        client
            .list_bucket_tables(&bucket.id)
            .await
            .unwrap()
            .is_empty(),
        "a failed job leaves no table"
    );
}
