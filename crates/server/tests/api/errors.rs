//! The API's own shape: its OpenAPI document, and errors as JSON bodies with a stable code.

use stackport_model::api::ErrorBody;

use crate::helpers::*;

/// Sends a raw request, for what the typed client cannot express.
async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &'static str,
) -> (u16, String, Option<String>) {
    let mut req = reqwest::Client::new().request(method, format!("{}{path}", app.url));
    if let Some(t) = token {
        req = req.header("X-StorageApi-Token", t);
    }
    if let Some(c) = content_type {
        req = req.header("Content-Type", c);
    }
    let response = req.body(body).send().await.expect("the server answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (status, response.text().await.unwrap(), content_type)
}

#[track_caller]
fn error_body(status: u16, text: &str, content_type: Option<&str>) -> ErrorBody {
    assert!(
        content_type.is_some_and(|c| c.starts_with("application/json")),
        "an error is JSON, got {content_type:?}: {text}"
    );
    let body: ErrorBody = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("the error body {text:?} is not an ErrorBody: {e}"));
    assert_eq!(body.status, status);
    assert!(!body.error.is_empty());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_the_api() {
    let app = spawn_app().await;
    // Public: no token needed.
    let doc = app.anonymous().openapi().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths is an object");
    for path in [
        "/v2/storage/buckets",
        "/v2/storage/tables/{id}/import",
        "/manage/projects",
    ] {
        assert!(paths.contains_key(path), "{path} is missing");
    }
    assert!(paths["/v2/storage/buckets"].get("get").is_some());
    assert!(paths["/v2/storage/buckets"].get("post").is_some());
    assert!(paths["/v2/storage/tables/{id}/import"]
        .get("post")
        .is_some());
    assert!(paths["/manage/projects"].get("post").is_some());
    assert_eq!(
        paths["/manage/projects"]["get"]["security"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["manageToken"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_route_is_404_with_a_json_error() {
    let app = spawn_app().await;
    let (created, _) = app.new_project_full("p").await;
    for token in [None, Some(created.token.as_str())] {
        let (status, text, content_type) = raw(
            &app,
            reqwest::Method::GET,
            "/v2/storage/no-such-thing",
            token,
            None,
            "",
        )
        .await;
        assert_eq!(status, 404, "{text}");
        let body = error_body(status, &text, content_type.as_deref());
        assert!(!body.code.is_empty());
        assert_eq!(body.code, "notFound");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_body_is_400_invalid_body() {
    let app = spawn_app().await;
    let (created, _) = app.new_project_full("p").await;
    let token = Some(created.token.as_str());
    for body in [
        "{\"name\": \"x\", \"stage\": ",
        "not json at all",
        "{\"name\": \"x\", \"stage\": \"sideways\"}",
        "{\"stage\": \"in\"}",
    ] {
        let (status, text, content_type) = raw(
            &app,
            reqwest::Method::POST,
            "/v2/storage/buckets",
            token,
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(status, 400, "{body}: {text}");
        let error = error_body(status, &text, content_type.as_deref());
        assert_eq!(error.code, "invalidBody", "{body}: {text}");
    }
    // Nothing was created.
    let client = app.client(&created.token);
    assert!(client.list_buckets(false).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_path_id_is_404_saying_what_an_id_looks_like() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    for (path, code, rule) in [
        (
            "/v2/storage/buckets/not-a-bucket",
            "storage.buckets.notFound",
            "in.c-<name>",
        ),
        (
            "/v2/storage/tables/in.c-x",
            "storage.tables.notFound",
            "in.c-x",
        ),
        (
            "/v2/storage/tokens/abc",
            "storage.tokens.notFound",
            "positive whole number",
        ),
        (
            "/v2/storage/files/0",
            "storage.files.notFound",
            "positive whole number",
        ),
    ] {
        let (status, text, content_type) = raw(
            &app,
            reqwest::Method::GET,
            path,
            Some(created.token.as_str()),
            None,
            "",
        )
        .await;
        assert_eq!(status, 404, "{path}: {text}");
        let body = error_body(status, &text, content_type.as_deref());
        assert_eq!(body.code, code, "{path}");
        assert!(body.error.contains(rule), "{path}: {}", body.error);
    }
    client.verify_token().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_on_a_known_route_is_a_json_error() {
    let app = spawn_app().await;
    let (created, _) = app.new_project_full("p").await;
    let (status, text, content_type) = raw(
        &app,
        reqwest::Method::PUT,
        "/v2/storage/buckets",
        Some(created.token.as_str()),
        Some("application/json"),
        "{}",
    )
    .await;
    assert_eq!(status, 405, "{text}");
    error_body(status, &text, content_type.as_deref());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_is_public_and_manage_stack_needs_the_manage_token() {
    let app = spawn_app().await;
    let index = app.anonymous().index().await.unwrap();
    assert_eq!(index.id, "local");
    assert_eq!(index.default_backend, "sqlite");
    assert!(!index.version.is_empty());
    assert_eq!(app.manage.manage_stack().await.unwrap(), index);
    expect_error(app.anonymous().manage_stack().await, 401, "invalidToken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_answer_201_and_deletes_204() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", app.url);
    let manage = |req: reqwest::RequestBuilder| req.header("X-KBC-ManageApiToken", MANAGE_TOKEN);

    let response = manage(http.post(url("/manage/projects")))
        .json(&serde_json::json!({ "name": "statuses" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let project: serde_json::Value = response.json().await.unwrap();
    let token = project["token"].as_str().unwrap().to_string();
    let storage = |req: reqwest::RequestBuilder| req.header("X-StorageApi-Token", token.as_str());

    let created = [
        (
            "/v2/storage/buckets",
            serde_json::json!({ "name": "s", "stage": "in" }),
        ),
        (
            "/v2/storage/buckets",
            serde_json::json!({ "name": "v", "stage": "out" }),
        ),
        (
            "/v2/storage/buckets/in.c-s/tables",
            serde_json::json!({ "name": "t", "columns": ["id"] }),
        ),
        (
            "/v2/storage/buckets/out.c-v/table-aliases",
            serde_json::json!({ "sourceTable": "in.c-s.t", "name": "a" }),
        ),
        (
            "/v2/storage/tokens",
            serde_json::json!({ "description": "d" }),
        ),
    ];
    let mut token_id = None;
    for (path, body) in created {
        let response = storage(http.post(url(path)))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201, "POST {path}");
        let answer: serde_json::Value = response.json().await.unwrap();
        assert!(answer.is_object(), "POST {path} answers the created object");
        if path == "/v2/storage/tokens" {
            token_id = answer["id"].as_u64();
        }
    }
    let response = storage(http.post(url("/v2/storage/files?name=f.txt")))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201, "POST /v2/storage/files");
    let file: serde_json::Value = response.json().await.unwrap();

    let response = storage(http.post(url("/v2/storage/tables/in.c-s.t/import")))
        .header("Content-Type", "text/csv")
        .body("id\n1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "an import is not a create");

    let deletes = [
        format!("/v2/storage/files/{}", file["id"]),
        format!("/v2/storage/tokens/{}", token_id.unwrap()),
        "/v2/storage/tables/out.c-v.a".to_string(),
        "/v2/storage/tables/in.c-s.t".to_string(),
        "/v2/storage/buckets/in.c-s".to_string(),
    ];
    for path in &deletes {
        let response = storage(http.delete(url(path))).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 204, "DELETE {path}");
        assert!(
            response.bytes().await.unwrap().is_empty(),
            "DELETE {path} has no body"
        );
    }
    let response = manage(http.delete(url(&format!("/manage/projects/{}", project["id"]))))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204, "DELETE project");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_are_400() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let t = bucket_with_table(&client, "c", "t", &["id"], &[]).await;
    let token = Some(created.token.as_str());
    let cases = [
        (
            reqwest::Method::POST,
            format!("/v2/storage/tables/{t}/import?incremental=yes"),
            "invalidQuery",
        ),
        (
            reqwest::Method::GET,
            format!("/v2/storage/tables/{t}/export?limit=-1"),
            "invalidQuery",
        ),
        (
            reqwest::Method::GET,
            format!("/v2/storage/tables/{t}/export?whereFilters=%5Bnope"),
            "invalidQuery",
        ),
        (
            reqwest::Method::GET,
            format!("/v2/storage/tables/{t}/export?gzip=maybe"),
            "invalidQuery",
        ),
        (
            reqwest::Method::GET,
            "/v2/storage/events?limit=0".to_string(),
            "storage.events.invalidLimit",
        ),
        (
            reqwest::Method::GET,
            "/v2/storage/events?limit=1001".to_string(),
            "storage.events.invalidLimit",
        ),
        (
            reqwest::Method::GET,
            "/v2/storage/events?sinceId=abc".to_string(),
            "invalidQuery",
        ),
        (
            reqwest::Method::GET,
            "/v2/storage/files?limit=0".to_string(),
            "storage.files.invalidLimit",
        ),
        (
            reqwest::Method::POST,
            "/v2/storage/files".to_string(),
            "storage.files.missingName",
        ),
    ];
    for (method, path, code) in cases {
        let (status, text, content_type) = raw(
            &app,
            method.clone(),
            &path,
            token,
            Some("text/csv"),
            "id\n1\n",
        )
        .await;
        assert_eq!(status, 400, "{method} {path}: {text}");
        assert_eq!(
            error_body(status, &text, content_type.as_deref()).code,
            code,
            "{method} {path}"
        );
    }
    // `1` and `0` are booleans too.
    let (status, text, _) = raw(
        &app,
        reqwest::Method::POST,
        &format!("/v2/storage/tables/{t}/import?incremental=1"),
        token,
        Some("text/csv"),
        "id\n1\n",
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(client.get_table(&t).await.unwrap().rows_count, 1);
}
