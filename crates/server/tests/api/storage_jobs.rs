//! Storage jobs: accepted with 202, polled to their end, failing with the synchronous call's
//! code and message, surviving a restart, and private to their project.

use std::time::Duration;

use serde_json::Value;
use stackport_client::{Client, FileUpload};
use stackport_model::api::query::{ImportQuery, StorageJobListQuery};
use stackport_model::api::{StorageJob, StorageJobStatus, StorageOperation};
use stackport_model::{FileId, StorageJobId, TableId};

use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(60);

pub async fn upload(client: &Client, name: &str, body: impl Into<Vec<u8>>) -> FileId {
    client
        .upload_file(
            &FileUpload {
                name: name.into(),
                tags: vec![],
                is_permanent: false,
                max_age_days: None,
            },
            body.into(),
        )
        .await
        .expect("the file is uploaded")
        .id
}

pub async fn wait(client: &Client, job: &StorageJob) -> StorageJob {
    client
        .wait_for_storage_job(job.id, WAIT)
        .await
        .expect("the job ends")
}

/// What `kbcstorage`'s `load_raw` posts: a form with the flags as 0/1 and an empty escapedBy.
pub async fn kbc_load(
    app: &TestApp,
    token: &str,
    table: &TableId,
    file: FileId,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!(
            "{}/v2/storage/tables/{table}/import-async",
            app.url
        ))
        .header("X-StorageApi-Token", token)
        .form(&[
            ("delimiter", ","),
            ("enclosure", "\""),
            ("escapedBy", ""),
            ("incremental", "0"),
            ("withoutHeaders", "0"),
            ("dataFileId", &file.to_string()),
        ])
        .send()
        .await
        .unwrap()
}

both_backends!(a_kbcstorage_table_create_is_accepted_polled_and_names_the_table);
async fn a_kbcstorage_table_create_is_accepted_polled_and_names_the_table(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("jobs").await;
    let bucket = create_bucket(&client, stackport_model::Stage::In, "main").await;
    let file = upload(&client, "people.csv", "id,name\n1,Ann\n2,Bob\n").await;
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v2/storage/buckets/{}/tables-async",
            app.url, bucket.id
        ))
        .header("X-StorageApi-Token", &created.token)
        .form(&[
            ("name", "people"),
            ("delimiter", ","),
            ("enclosure", "\""),
            ("escapedBy", ""),
            ("dataFileId", &file.to_string()),
            ("primaryKey", "id"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let job: StorageJob = response.json().await.unwrap();
    assert_eq!(job.operation_name, StorageOperation::TableCreate);
    assert!(
        job.url.ends_with(&format!("/v2/storage/jobs/{}", job.id)),
        "{}",
        job.url
    );
    let done = wait(&client, &job).await;
    assert_eq!(done.status, StorageJobStatus::Success, "{:?}", done.error);
    assert!(done.start_time.is_some() && done.end_time.is_some());
    assert_eq!(done.results["id"], "in.c-main.people");
    assert_eq!(done.table_id, Some(table_id("in.c-main.people")));
    let table = client
        .get_table(&table_id("in.c-main.people"))
        .await
        .unwrap();
    assert_eq!(table.primary_key, cols(&["id"]));
    assert_eq!(
        export_csv(&client, &table.id).await,
        canonical(&["id", "name"], &[&["1", "Ann"], &["2", "Bob"]])
    );
    let listed = client
        .list_storage_jobs(&StorageJobListQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.first().map(|j| j.id), Some(job.id), "newest first");
}

both_backends!(a_kbcstorage_load_answers_the_reference_import_results);
async fn a_kbcstorage_load_answers_the_reference_import_results(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("jobs").await;
    let t = bucket_with_table(&client, "main", "t", &["id", "v"], &["id"]).await;
    let file = upload(&client, "t.csv", "id,v\n1,a\n2,b\n3,c\n").await;
    let response = kbc_load(&app, &created.token, &t, file).await;
    assert_eq!(response.status(), 202);
    let job: StorageJob = response.json().await.unwrap();
    assert_eq!(job.operation_name, StorageOperation::TableImport);
    assert_eq!(job.table_id.as_ref(), Some(&t));
    let done = wait(&client, &job).await;
    assert_eq!(done.status, StorageJobStatus::Success, "{:?}", done.error);
    assert_eq!(
        done.results["importedColumns"],
        serde_json::json!(["id", "v"])
    );
    assert_eq!(done.results["totalRowsCount"], 3);
    assert_eq!(done.results["warnings"], serde_json::json!([]));
    assert!(done.results["totalDataSizeBytes"].as_u64().unwrap() > 0);
}

both_backends!(a_failed_import_job_carries_the_synchronous_error);
async fn a_failed_import_job_carries_the_synchronous_error(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let client = app.new_project("jobs").await;
    let t = bucket_with_table(&client, "main", "t", &["id", "v"], &[]).await;
    let bad = "id,v\n1,\"unclosed\n";
    let sync = expect_status(
        client
            .import_table(&t, &Default::default(), bad.as_bytes().to_vec())
            .await,
        400,
    );
    let file = upload(&client, "bad.csv", bad).await;
    let job = client
        .import_table_async(
            &t,
            &ImportQuery {
                data_file_id: Some(file),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let done = wait(&client, &job).await;
    assert_eq!(done.status, StorageJobStatus::Error);
    let error = done.error.expect("an error");
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        (sync.code.as_str(), sync.error.as_str())
    );
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[]),
        "nothing imported"
    );
}

both_backends!(what_can_be_checked_at_once_is_a_4xx_not_a_job);
async fn what_can_be_checked_at_once_is_a_4xx_not_a_job(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("jobs").await;
    let t = bucket_with_table(&client, "main", "t", &["id", "v"], &[]).await;
    let missing = kbc_load(&app, &created.token, &t, FileId(999_999)).await;
    assert_eq!(missing.status(), 404);
    let other = table_id("in.c-main.nope");
    let file = upload(&client, "t.csv", "id,v\n").await;
    let body: Value = kbc_load(&app, &created.token, &other, file)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["code"], "storage.tables.notFound");
    let unknown = reqwest::Client::new()
        .post(format!("{}/v2/storage/tables/{t}/import-async", app.url))
        .header("X-StorageApi-Token", &created.token)
        .form(&[("dataFileId", file.to_string()), ("incrementl", "1".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let by_url = reqwest::Client::new()
        .post(format!("{}/v2/storage/tables/{t}/import-async", app.url))
        .header("X-StorageApi-Token", &created.token)
        .form(&[("dataUrl", "http://127.0.0.1:9/t.csv")])
        .send()
        .await
        .unwrap();
    // The stack's own loopback, which network.outboundAllow does not list here.
    assert_eq!(by_url.status(), 400);
    // kbcstorage's `columns` arrive as primaryKey[]: a column the table lacks is refused.
    let quirk = reqwest::Client::new()
        .post(format!("{}/v2/storage/tables/{t}/import-async", app.url))
        .header("X-StorageApi-Token", &created.token)
        .body(format!(
            "dataFileId={file}&withoutHeaders=1&primaryKey%5B%5D=id&primaryKey%5B%5D=nope"
        ))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(quirk.status(), 400);
    let body: Value = quirk.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("'nope'"), "{body}");
    assert!(client
        .list_storage_jobs(&StorageJobListQuery::default())
        .await
        .unwrap()
        .is_empty());
}

both_backends!(kbcstorage_load_columns_name_a_headerless_files_columns);
async fn kbcstorage_load_columns_name_a_headerless_files_columns(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("jobs").await;
    let t = bucket_with_table(&client, "main", "t", &["id", "v"], &[]).await;
    let file = upload(&client, "t.csv", "x,2\ny,1\n").await;
    let response = reqwest::Client::new()
        .post(format!("{}/v2/storage/tables/{t}/import-async", app.url))
        .header("X-StorageApi-Token", &created.token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "dataFileId={file}&withoutHeaders=1&primaryKey%5B%5D=v&primaryKey%5B%5D=id"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let done = wait(&client, &response.json().await.unwrap()).await;
    assert_eq!(done.status, StorageJobStatus::Success, "{:?}", done.error);
    assert_eq!(
        export_csv(&client, &t).await,
        canonical(&["id", "v"], &[&["2", "x"], &["1", "y"]])
    );
}

both_backends!(another_projects_job_is_not_found_and_reads_refuse_unknown_params);
async fn another_projects_job_is_not_found_and_reads_refuse_unknown_params(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("a").await;
    let other = app.new_project("b").await;
    let t = bucket_with_table(&client, "main", "t", &["id"], &[]).await;
    let job = client.optimize_table(&t).await.unwrap();
    assert_eq!(job.operation_name, StorageOperation::TableOptimize);
    let done = wait(&client, &job).await;
    assert_eq!(done.status, StorageJobStatus::Success);
    expect_error(
        other.storage_job(job.id).await,
        404,
        "storage.jobs.notFound",
    );
    expect_error(
        client.storage_job(StorageJobId(424_242)).await,
        404,
        "storage.jobs.notFound",
    );
    let http = reqwest::Client::new();
    for path in [
        "/v2/storage/jobs?limt=1".to_string(),
        format!("/v2/storage/jobs/{}?x=1", job.id),
        format!("/v2/storage/tables/{t}/data-preview?limt=1"),
        format!("/v2/storage/tables/{t}?asynch=1"),
    ] {
        let method = if path.contains("data-preview") || path.contains("jobs") {
            reqwest::Method::GET
        } else {
            reqwest::Method::DELETE
        };
        let r = http
            .request(method, format!("{}{path}", app.url))
            .header("X-StorageApi-Token", &created.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{path}");
    }
    let r = http
        .get(format!("{}/v2/storage/jobs/abc", app.url))
        .header("X-StorageApi-Token", &created.token)
        .send()
        .await
        .unwrap();
    assert!(r.status() == 404 || r.status() == 400, "{}", r.status());
}

both_backends!(async_deletes_answer_202_and_delete);
async fn async_deletes_answer_202_and_delete(backend: Backend) {
    let app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("jobs").await;
    let t = bucket_with_table(&client, "main", "t", &["id"], &[]).await;
    let http = reqwest::Client::new();
    let r = http
        .delete(format!("{}/v2/storage/tables/{t}?async=True", app.url))
        .header("X-StorageApi-Token", &created.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let job: StorageJob = r.json().await.unwrap();
    assert_eq!(job.operation_name, StorageOperation::TableDelete);
    assert_eq!(wait(&client, &job).await.status, StorageJobStatus::Success);
    expect_error(client.get_table(&t).await, 404, "storage.tables.notFound");

    let t2 = bucket_with_table(&client, "full", "t", &["id"], &[]).await;
    // What kbcstorage's buckets.delete sends: Python's booleans.
    let r = http
        .delete(format!(
            "{}/v2/storage/buckets/{}?force=False&async=True",
            app.url,
            t2.bucket()
        ))
        .header("X-StorageApi-Token", &created.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let refused = wait(&client, &r.json().await.unwrap()).await;
    assert_eq!(
        refused.status,
        StorageJobStatus::Error,
        "a bucket with tables needs force"
    );
    let sync = expect_status(client.delete_bucket(t2.bucket(), false).await, 400);
    let error = refused.error.unwrap();
    assert_eq!((error.code, error.message), (sync.code, sync.error));
    let job = client.delete_bucket_async(t2.bucket(), true).await.unwrap();
    assert_eq!(wait(&client, &job).await.status, StorageJobStatus::Success);
    expect_status(client.get_bucket(t2.bucket()).await, 404);
}

both_backends!(accepted_jobs_survive_a_restart);
async fn accepted_jobs_survive_a_restart(backend: Backend) {
    let mut app = spawn_app_on(backend).await;
    let (created, client) = app.new_project_full("jobs").await;
    let t = bucket_with_table(&client, "main", "t", &["id"], &[]).await;
    let job = client.optimize_table(&t).await.unwrap();
    let done = wait(&client, &job).await;
    app.stop().await;
    app.start().await;
    let client = app.client(&created.token);
    assert_eq!(
        client.storage_job(job.id).await.unwrap(),
        done,
        "an ended job is kept"
    );
    let next = client.optimize_table(&t).await.unwrap();
    assert!(next.id > job.id, "ids keep growing");
    assert_eq!(wait(&client, &next).await.status, StorageJobStatus::Success);
}
