//! A body field the endpoint does not know is a 400 naming it and the nearest known one, and
//! changes nothing; fields the reference platform documents are accepted even where ignored.

use serde_json::{json, Value};
use stackport_model::api::{NewConfiguration, Token};
use stackport_model::{ComponentId, Stage};

use crate::helpers::*;

const MYSQL: &str = "keboola.ex-db-mysql";

/// Posts `body` as JSON with `token`; returns the status and the parsed answer.
async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .header("X-StorageApi-Token", token)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("the answer is JSON"))
}

/// Asserts a 400 `invalidBody` that names `field` and suggests `nearest`.
#[track_caller]
fn refused(answer: (u16, Value), field: &str, nearest: &str) {
    let (status, body) = answer;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalidBody")),
        "{body}"
    );
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "unknown field '{field}'; did you mean '{nearest}'? (known: "
        )),
        "{message}"
    );
}

async fn project(app: &TestApp) -> (String, stackport_client::Client) {
    let (created, master) = app.new_project_full("p").await;
    (created.token, master)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_configuration_id_is_refused_not_replaced_by_a_random_one() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    let path = format!("/v2/storage/components/{MYSQL}/configs");
    refused(
        post(
            &app,
            &token,
            &path,
            json!({ "name": "orders", "configId": "orders-db" }),
        )
        .await,
        "configId",
        "configurationId",
    );
    let mysql: ComponentId = MYSQL.parse().unwrap();
    assert!(master.list_configs(&mysql).await.unwrap().is_empty());
    // What the reference platform's clients send is accepted, `branchId` included.
    let (status, created) = post(
        &app,
        &token,
        &path,
        json!({
            "name": "orders", "configurationId": "orders-db", "description": "",
            "configuration": {"b": 1, "a": 2}, "state": {}, "changeDescription": "new",
            "isDisabled": false, "branchId": "default"
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["id"], "orders-db");
    let config = master
        .get_config(&mysql, &"orders-db".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(config.configuration.unwrap().get(), r#"{"b":1,"a":2}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_body_refuses_unknown_fields() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    let mysql: ComponentId = MYSQL.parse().unwrap();
    master
        .create_config(
            &mysql,
            &NewConfiguration {
                name: "orders".into(),
                configuration_id: Some("orders-db".parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let path = format!("/v2/storage/components/{MYSQL}/configs/orders-db/rows");
    refused(
        post(&app, &token, &path, json!({ "rowID": "r1", "name": "r" })).await,
        "rowID",
        "rowId",
    );
    let rows = master
        .list_rows(&mysql, &"orders-db".parse().unwrap())
        .await
        .unwrap();
    assert!(rows.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_body_refuses_unknown_fields_and_accepts_a_colour() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    refused(
        post(
            &app,
            &token,
            "/v2/storage/buckets",
            json!({ "name": "sales", "stage": "in", "display_name": "Sales" }),
        )
        .await,
        "display_name",
        "displayName",
    );
    assert!(master.list_buckets(false).await.unwrap().is_empty());
    let (status, body) = post(
        &app,
        &token,
        "/v2/storage/buckets",
        json!({ "name": "sales", "stage": "in", "color": "#ff5733", "description": "" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_body_refuses_unknown_fields() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    create_bucket(&master, Stage::In, "b").await;
    refused(
        post(
            &app,
            &token,
            "/v2/storage/buckets/in.c-b/tables",
            json!({ "name": "t", "columns": ["id"], "primaryKeys": ["id"] }),
        )
        .await,
        "primaryKeys",
        "primaryKey",
    );
    assert!(master.list_tables().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_body_refuses_unknown_fields_and_ignores_rights_a_stack_lacks() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    refused(
        post(
            &app,
            &token,
            "/v2/storage/tokens",
            json!({ "description": "loader", "canManageBucket": true }),
        )
        .await,
        "canManageBucket",
        "canManageBuckets",
    );
    assert_eq!(master.list_tokens().await.unwrap().len(), 1);
    let (status, body) = post(
        &app,
        &token,
        "/v2/storage/tokens",
        json!({
            "description": "loader", "expiresIn": 3600, "canReadAllFileUploads": false,
            "canPurgeTrash": true, "canCreateJobs": true, "canManageDevBranches": true,
            "canManageProtectedDefaultBranch": true, "canReadAllProjectEvents": true
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let created: Token = serde_json::from_value(body).unwrap();
    assert!(!created.can_manage_buckets && !created.can_read_all_file_uploads);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metadata_body_refuses_unknown_fields() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    let table = bucket_with_table(&master, "b", "t", &["id"], &[]).await;
    refused(
        post(
            &app,
            &token,
            &format!("/v2/storage/tables/{table}/metadata"),
            json!({
                "provider": "user",
                "metadata": [{ "key": "k", "value": "v" }],
                "columnMetadata": { "id": [{ "key": "k", "value": "v" }] }
            }),
        )
        .await,
        "columnMetadata",
        "columnsMetadata",
    );
    assert!(master.table_metadata(&table).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orchestration_body_refuses_unknown_fields() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    refused(
        post(
            &app,
            &token,
            "/v2/orchestrations",
            json!({ "name": "nightly", "crontab": "0 3 * * *" }),
        )
        .await,
        "crontab",
        "crontabRecord",
    );
    assert!(master.list_orchestrations().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_body_refuses_unknown_fields() {
    let app = spawn_app().await;
    let (token, master) = project(&app).await;
    refused(
        post(
            &app,
            &token,
            "/v2/queue/jobs",
            json!({ "component": MYSQL, "config": "orders-db", "configRowId": ["r1"] }),
        )
        .await,
        "configRowId",
        "configRowIds",
    );
    let jobs = master.list_jobs(&Default::default()).await.unwrap();
    assert!(jobs.is_empty());
}
