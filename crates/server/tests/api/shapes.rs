//! The fields of answers that scripts written for the reference platform's Python client
//! `kbcstorage` read, spelled and typed as the reference answers them, and the answers it
//! expects for objects that are not there. Raw HTTP, so that the JSON itself is checked, not
//! what the typed client makes of it.

use serde_json::{json, Value};

use crate::helpers::*;

const MYSQL: &str = "keboola.ex-db-mysql";

/// Sends a request with `token` (and `body` as JSON); answers the status and the JSON answer
/// (null when it has none).
async fn call(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", app.url))
        .header("X-StorageApi-Token", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("an answer");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
    };
    (status, value)
}

async fn ok(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let (status, value) = call(app, token, method, path, body).await;
    assert!(status == 200 || status == 201, "{path}: {status} {value}");
    value
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    ok(app, token, reqwest::Method::GET, path, None).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    ok(app, token, reqwest::Method::POST, path, Some(body)).await
}

/// The stack's public base URL, as its settings give it.
async fn stack_url(app: &TestApp, token: &str) -> String {
    let info = get(app, token, "/v2/storage").await;
    info["url"]
        .as_str()
        .unwrap_or_else(|| panic!("GET /v2/storage has a url: {info}"))
        .trim_end_matches('/')
        .to_string()
}

/// A project with bucket `in.c-x` and table `in.c-x.t` (`id`, `name`); its token.
/// A configuration of MySQL named "db", as the stack answers its create.
async fn new_config(app: &TestApp, token: &str) -> Value {
    post(
        app,
        token,
        &format!("/v2/storage/components/{MYSQL}/configs"),
        json!({"name": "db"}),
    )
    .await
}

/// Where `config`'s metadata is written and read.
fn config_metadata_path(config: &Value) -> String {
    format!(
        "/v2/storage/components/{MYSQL}/configs/{}/metadata",
        config["id"].as_str().unwrap()
    )
}

async fn project_with_table(app: &TestApp) -> String {
    let (created, _) = app.new_project_full("shapes").await;
    let token = created.token;
    post(
        app,
        &token,
        "/v2/storage/buckets",
        json!({"name": "x", "stage": "in"}),
    )
    .await;
    post(
        app,
        &token,
        "/v2/storage/buckets/in.c-x/tables",
        json!({"name": "t", "columns": ["id", "name"]}),
    )
    .await;
    token
}

#[tokio::test]
async fn buckets_carry_their_uri_tables_url_and_attributes() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    let base = stack_url(&app, &token).await;

    let bucket = get(&app, &token, "/v2/storage/buckets/in.c-x").await;
    assert_eq!(
        bucket["uri"],
        format!("{base}/v2/storage/buckets/in.c-x"),
        "{bucket}"
    );
    assert_eq!(
        bucket["tables"],
        format!("{base}/v2/storage/buckets/in.c-x/tables"),
        "{bucket}"
    );
    assert_eq!(bucket["attributes"], json!([]), "{bucket}");

    let listed = get(&app, &token, "/v2/storage/buckets").await;
    assert_eq!(listed[0]["uri"], bucket["uri"], "{listed}");
    assert_eq!(listed[0]["tables"], bucket["tables"], "{listed}");

    // The tables URL answers the bucket's tables.
    let path = bucket["tables"]
        .as_str()
        .unwrap()
        .strip_prefix(&base)
        .unwrap();
    let tables = get(&app, &token, path).await;
    assert_eq!(tables[0]["id"], "in.c-x.t", "{tables}");
}

#[tokio::test]
async fn tables_carry_their_uri() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    let base = stack_url(&app, &token).await;
    let want = format!("{base}/v2/storage/tables/in.c-x.t");

    let table = get(&app, &token, "/v2/storage/tables/in.c-x.t").await;
    assert_eq!(table["uri"], want, "{table}");
    let listed = get(&app, &token, "/v2/storage/tables").await;
    assert_eq!(listed[0]["uri"], want, "{listed}");
    let in_bucket = get(&app, &token, "/v2/storage/buckets/in.c-x/tables").await;
    assert_eq!(in_bucket[0]["uri"], want, "{in_bucket}");
}

#[tokio::test]
async fn components_carry_their_uri_which_answers_the_component() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    let base = stack_url(&app, &token).await;
    let config = new_config(&app, &token).await;

    let components = get(&app, &token, "/v2/storage/components").await;
    let want = format!("{base}/v2/storage/components/{MYSQL}");
    assert_eq!(components[0]["uri"], want, "{components}");

    let one = get(&app, &token, &format!("/v2/storage/components/{MYSQL}")).await;
    assert_eq!(one["id"], MYSQL, "{one}");
    assert_eq!(one["uri"], want, "{one}");
    assert_eq!(one["configurations"][0]["id"], config["id"], "{one}");
}

/// Asserts that every metadata entry in `entries` has a string id; answers how many there were.
#[track_caller]
fn string_ids(entries: &Value, what: &str) -> usize {
    let entries = entries
        .as_array()
        .unwrap_or_else(|| panic!("{what} is a list: {entries}"));
    for entry in entries {
        assert!(
            entry["id"].is_string(),
            "{what}: id is not a string: {entry}"
        );
    }
    entries.len()
}

#[tokio::test]
async fn metadata_ids_are_strings_in_every_answer_that_carries_metadata() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    let kv = json!([{"key": "KBC.description", "value": "d"}]);
    let written = post(
        &app,
        &token,
        "/v2/storage/buckets/in.c-x/metadata",
        json!({"provider": "user", "metadata": kv}),
    )
    .await;
    assert_eq!(string_ids(&written, "bucket write answer"), 1);
    let written = post(
        &app,
        &token,
        "/v2/storage/tables/in.c-x.t/metadata",
        json!({"provider": "user", "metadata": kv, "columnsMetadata": {"id": kv}}),
    )
    .await;
    assert!(string_ids(&written, "table write answer") >= 1);
    let config = new_config(&app, &token).await;
    let config_metadata = config_metadata_path(&config);
    let written = post(
        &app,
        &token,
        &config_metadata,
        json!({"provider": "user", "metadata": kv}),
    )
    .await;
    assert_eq!(string_ids(&written, "configuration write answer"), 1);

    let bucket = get(&app, &token, "/v2/storage/buckets/in.c-x").await;
    assert_eq!(string_ids(&bucket["metadata"], "bucket detail"), 1);
    let listed = get(&app, &token, "/v2/storage/buckets?include=metadata").await;
    assert_eq!(string_ids(&listed[0]["metadata"], "bucket list"), 1);
    let table = get(&app, &token, "/v2/storage/tables/in.c-x.t").await;
    assert_eq!(string_ids(&table["metadata"], "table detail"), 1);
    assert_eq!(
        string_ids(&table["columnMetadata"]["id"], "table detail's column"),
        1
    );
    let tables = get(
        &app,
        &token,
        "/v2/storage/tables?include=metadata,columnMetadata",
    )
    .await;
    assert_eq!(string_ids(&tables[0]["metadata"], "table list"), 1);
    assert_eq!(
        string_ids(&tables[0]["columnMetadata"]["id"], "table list's column"),
        1
    );
    for path in [
        "/v2/storage/buckets/in.c-x/metadata",
        "/v2/storage/tables/in.c-x.t/metadata",
        "/v2/storage/tables/in.c-x.t/columns/id/metadata",
        config_metadata.as_str(),
    ] {
        assert_eq!(string_ids(&get(&app, &token, path).await, path), 1);
    }

    // The string id is what deletes the entry.
    let id = bucket["metadata"][0]["id"].as_str().unwrap();
    let (status, _) = call(
        &app,
        &token,
        reqwest::Method::DELETE,
        &format!("/v2/storage/buckets/in.c-x/metadata/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn objects_not_found_are_404_however_their_id_is_spelled() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    let cases = [
        // kbcstorage's own test of a missing table.
        (
            "/v2/storage/tables/some-totally-non-existent-table",
            "storage.tables.notFound",
        ),
        ("/v2/storage/tables/in.c-x.nope", "storage.tables.notFound"),
        (
            "/v2/storage/tables/in.c-x.t/columns/a%20b/metadata",
            "storage.tables.columnNotFound",
        ),
        (
            "/v2/storage/buckets/no-such-bucket",
            "storage.buckets.notFound",
        ),
        ("/v2/storage/buckets/in.c-nope", "storage.buckets.notFound"),
        ("/v2/storage/buckets/bad/tables", "storage.buckets.notFound"),
        ("/v2/storage/files/not-a-number", "storage.files.notFound"),
        ("/v2/storage/workspaces/abc", "workspaces.notFound"),
        (
            "/v2/storage/components/keboola.ex-db-mysql/configs/c/versions/latest",
            "components.configurations.versionNotFound",
        ),
        (
            "/v2/storage/components/keboola.ex-db-mysql/configs/a%20b",
            "components.configurations.notFound",
        ),
    ];
    for (path, code) in cases {
        let (status, body) = call(&app, &token, reqwest::Method::GET, path, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some(code)),
            "{path}: {body}"
        );
    }
    // A delete of an object that cannot exist is a 404 too, and leaves the table in place.
    for (path, code) in [
        (
            "/v2/storage/tables/some-totally-non-existent-table",
            "storage.tables.notFound",
        ),
        (
            "/v2/storage/tables/in.c-x.t/metadata/x",
            "storage.metadata.notFound",
        ),
    ] {
        let (status, body) = call(&app, &token, reqwest::Method::DELETE, path, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some(code)),
            "{path}: {body}"
        );
    }
    get(&app, &token, "/v2/storage/tables/in.c-x.t").await;
}

#[tokio::test]
async fn configurations_of_a_component_the_stack_does_not_know_are_404() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    for path in [
        "/v2/storage/components/keboola.no-such-component/configs",
        "/v2/storage/branch/default/components/keboola.no-such-component/configs",
        "/v2/storage/components/keboola.no-such-component",
    ] {
        let (status, body) = call(&app, &token, reqwest::Method::GET, path, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("components.notFound")),
            "{path}: {body}"
        );
        let message = body["error"].as_str().unwrap();
        assert!(message.contains("keboola.no-such-component"), "{message}");
    }
    // A component the stack knows, with no configurations yet, is an empty list.
    let listed = get(
        &app,
        &token,
        &format!("/v2/storage/components/{MYSQL}/configs"),
    )
    .await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn columns_metadata_is_read_in_the_list_form_kbcstorage_sends() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    // As kbcstorage's own test sends it: a list of lists, each item naming its column.
    post(
        &app,
        &token,
        "/v2/storage/tables/in.c-x.t/metadata",
        json!({
            "provider": "test",
            "metadata": [{"key": "k", "value": "table"}],
            "columnsMetadata": [[{"key": "ck", "value": "success", "columnName": "name"}]],
        }),
    )
    .await;
    // And an empty list, which it sends when there are no column entries.
    post(
        &app,
        &token,
        "/v2/storage/tables/in.c-x.t/metadata",
        json!({"provider": "test", "metadata": [{"key": "k", "value": "table"}], "columnsMetadata": []}),
    )
    .await;
    let table = get(&app, &token, "/v2/storage/tables/in.c-x.t").await;
    let entries = &table["columnMetadata"]["name"];
    assert_eq!(entries.as_array().map(Vec::len), Some(1), "{table}");
    assert_eq!(entries[0]["key"], "ck");
    assert_eq!(entries[0]["value"], "success");
    assert_eq!(entries[0]["provider"], "test");

    // An item of the list form that names no column is refused, naming what to send, and
    // nothing of the write is kept.
    let (status, body) = call(
        &app,
        &token,
        reqwest::Method::POST,
        "/v2/storage/tables/in.c-x.t/metadata",
        Some(json!({
            "provider": "test",
            "metadata": [{"key": "k2", "value": "v"}],
            "columnsMetadata": [[{"key": "ck2", "value": "v"}]],
        })),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("columnsMetadata[0][0] has no columnName"),
        "{message}"
    );
    let after = get(&app, &token, "/v2/storage/tables/in.c-x.t/metadata").await;
    assert_eq!(after.as_array().map(Vec::len), Some(1), "{after}");
}

#[tokio::test]
async fn configuration_metadata_without_a_provider_is_written_as_user() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    let config = new_config(&app, &token).await;
    let path = config_metadata_path(&config);
    // As kbcstorage sends it: no provider.
    let written = post(
        &app,
        &token,
        &path,
        json!({"metadata": [{"key": "k", "value": "v"}]}),
    )
    .await;
    assert_eq!(written[0]["provider"], "user", "{written}");
    let listed = get(&app, &token, &path).await;
    assert_eq!(listed[0]["provider"], "user", "{listed}");
    assert_eq!(listed[0]["value"], "v", "{listed}");
}

#[tokio::test]
async fn workspaces_carry_the_reference_fields_and_the_password_only_when_created() {
    let app = spawn_app().await;
    let token = project_with_table(&app).await;
    let created = post(&app, &token, "/v2/storage/workspaces", json!({})).await;
    let id = created["id"].clone();
    let password = created["connection"]["password"]
        .as_str()
        .unwrap_or_default();
    assert!(
        password.len() >= 16,
        "a plaintext password in the create answer: {created}"
    );
    assert!(!password.starts_with("KBC::"), "{created}");
    for field in ["type", "name"] {
        assert!(created[field].is_string(), "{field}: {created}");
    }
    assert_eq!(created["type"], "table");
    assert_eq!(created["name"], created["connection"]["schema"]);

    let detail = get(&app, &token, &format!("/v2/storage/workspaces/{id}")).await;
    let listed = get(&app, &token, "/v2/storage/workspaces").await;
    for answer in [&detail, &listed[0]] {
        assert_eq!(answer["id"], id, "{answer}");
        assert_eq!(answer["type"], "table", "{answer}");
        assert_eq!(answer["name"], created["name"], "{answer}");
        assert!(
            answer["connection"].get("password").is_none(),
            "no plaintext password after the create answer: {answer}"
        );
    }

    // One for a configuration names its component and configuration as the reference does.
    let writer = "keboola.wr-db-snowflake";
    let config = post(
        &app,
        &token,
        &format!("/v2/storage/components/{writer}/configs"),
        json!({"name": "w"}),
    )
    .await;
    let for_config = post(
        &app,
        &token,
        "/v2/storage/workspaces",
        json!({"componentId": writer, "configurationId": config["id"]}),
    )
    .await;
    assert_eq!(for_config["component"], writer, "{for_config}");
    assert_eq!(for_config["configurationId"], config["id"], "{for_config}");
    let detail = get(
        &app,
        &token,
        &format!("/v2/storage/workspaces/{}", for_config["id"]),
    )
    .await;
    assert_eq!(detail["component"], writer, "{detail}");
    assert_eq!(detail["configurationId"], config["id"], "{detail}");
}
