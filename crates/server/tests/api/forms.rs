//! Bodies form-encoded as the reference platform's Python client `kbcstorage` sends them
//! (`x[]` lists, `a[0][b]` nesting, Python's `True`) make the same objects as JSON bodies, and
//! are refused the same way.

use serde_json::{json, Value};

use crate::helpers::*;

const MYSQL: &str = "keboola.ex-db-mysql";

/// A body as JSON or as a form.
enum Body {
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// Sends `body` with `token` to `path`; returns the status and the answer's text.
async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Body,
) -> (u16, String) {
    let request = reqwest::Client::new()
        .request(method, format!("{}{path}", app.url))
        .header("X-StorageApi-Token", token);
    let request = match body {
        Body::Json(value) => request.json(&value),
        Body::Form(pairs) => request.form(&pairs),
    };
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("an answer"))
}

async fn post(app: &TestApp, token: &str, path: &str, body: Body) -> Value {
    let (status, text) = send(app, token, reqwest::Method::POST, path, body).await;
    assert!(status == 200 || status == 201, "{path}: {status} {text}");
    serde_json::from_str(&text).expect("the answer is JSON")
}

async fn get(app: &TestApp, token: &str, path: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .header("X-StorageApi-Token", token)
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

/// `value` without what differs between two projects' copies of the same object.
fn comparable(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for volatile in [
                    "id",
                    "created",
                    "timestamp",
                    "token",
                    "expires",
                    "versionIdentifier",
                    "lastChangeDate",
                ] {
                    map.remove(volatile);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

/// Makes a bucket, a table, a token, a configuration with a row, and metadata in the project
/// of `token`, every body sent as JSON or every one as a form; answers what reading them
/// back gives.
async fn make_everything(app: &TestApp, token: &str, as_form: bool) -> Vec<Value> {
    let body = |json: Value, form: &[(&'static str, &str)]| {
        if as_form {
            Body::Form(form.iter().map(|(k, v)| (*k, v.to_string())).collect())
        } else {
            Body::Json(json)
        }
    };
    post(
        app,
        token,
        "/v2/storage/buckets",
        body(
            json!({"name": "x", "stage": "in", "description": "raw", "displayName": "X"}),
            &[
                ("name", "x"),
                ("stage", "in"),
                ("description", "raw"),
                ("displayName", "X"),
            ],
        ),
    )
    .await;
    post(
        app,
        token,
        "/v2/storage/buckets/in.c-x/tables",
        body(
            json!({"name": "t", "columns": ["id", "name"], "primaryKey": ["id"]}),
            &[
                ("name", "t"),
                ("columns[]", "id"),
                ("columns[]", "name"),
                ("primaryKey[]", "id"),
            ],
        ),
    )
    .await;
    let created = post(
        app,
        token,
        "/v2/storage/tokens",
        body(
            json!({"description": "reader", "bucketPermissions": {"in.c-x": "read"},
                   "canReadAllFileUploads": true, "expiresIn": 3600}),
            &[
                ("description", "reader"),
                ("bucketPermissions[in.c-x]", "read"),
                ("canReadAllFileUploads", "True"),
                ("expiresIn", "3600"),
            ],
        ),
    )
    .await;
    let configs = format!("/v2/storage/components/{MYSQL}/configs");
    post(
        app,
        token,
        &configs,
        body(
            json!({"name": "C", "configurationId": "c1", "description": "",
                   "configuration": {"b": 1, "a": [true, "x"]}, "state": {},
                   "changeDescription": "new", "isDisabled": true}),
            &[
                ("name", "C"),
                ("configurationId", "c1"),
                ("description", ""),
                ("configuration", r#"{"b": 1, "a": [true, "x"]}"#),
                ("state", "{}"),
                ("changeDescription", "new"),
                ("isDisabled", "True"),
            ],
        ),
    )
    .await;
    post(
        app,
        token,
        &format!("{configs}/c1/rows"),
        body(
            json!({"rowId": "r1", "name": "R", "configuration": {"q": "select 1"},
                   "isDisabled": false}),
            &[
                ("rowId", "r1"),
                ("name", "R"),
                ("configuration", r#"{"q": "select 1"}"#),
                ("isDisabled", "0"),
            ],
        ),
    )
    .await;
    post(
        app,
        token,
        "/v2/storage/tables/in.c-x.t/metadata",
        body(
            json!({"provider": "user", "metadata": [
                {"key": "KBC.description", "value": "orders"}, {"key": "owner", "value": "ann"}]}),
            &[
                ("provider", "user"),
                ("metadata[0][key]", "KBC.description"),
                ("metadata[0][value]", "orders"),
                ("metadata[1][key]", "owner"),
                ("metadata[1][value]", "ann"),
            ],
        ),
    )
    .await;
    let mut read = Vec::new();
    for path in [
        "/v2/storage/buckets/in.c-x".to_string(),
        "/v2/storage/tables/in.c-x.t".to_string(),
        format!("/v2/storage/tokens/{}", created["id"]),
        format!("{configs}/c1"),
        format!("{configs}/c1/rows/r1"),
        "/v2/storage/tables/in.c-x.t/metadata".to_string(),
    ] {
        let text = get(app, token, &path).await;
        if as_form && path.ends_with("/c1") {
            // The document is stored as sent, byte for byte.
            assert!(
                text.contains(r#""configuration":{"b": 1, "a": [true, "x"]}"#),
                "{text}"
            );
        }
        read.push(comparable(serde_json::from_str(&text).unwrap()));
    }
    read
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_bodies_make_what_json_bodies_make() {
    let app = spawn_app().await;
    let (json_project, _) = app.new_project_full("json").await;
    let (form_project, _) = app.new_project_full("form").await;
    let from_json = make_everything(&app, &json_project.token, false).await;
    let from_form = make_everything(&app, &form_project.token, true).await;
    assert_eq!(from_form, from_json);
    // What the forms said arrived typed.
    let [_, table, token, config, row, metadata] = &from_form[..] else {
        panic!("six objects")
    };
    assert_eq!(table["primaryKey"], json!(["id"]));
    assert_eq!(token["bucketPermissions"], json!({"in.c-x": "read"}));
    assert_eq!(token["canReadAllFileUploads"], true);
    assert_eq!(config["isDisabled"], true);
    assert_eq!(row["isDisabled"], false);
    assert_eq!(metadata[1]["value"], "ann");
}

/// Asserts a 400 with `code` whose message contains `needle`.
#[track_caller]
fn refused((status, text): (u16, String), code: &str, needle: &str) {
    let answer: Value = serde_json::from_str(&text).expect("the answer is JSON");
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some(code)),
        "{text}"
    );
    let message = answer["error"].as_str().unwrap();
    assert!(message.contains(needle), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_form_is_refused_naming_the_field_and_stores_nothing() {
    let app = spawn_app().await;
    let (project, client) = app.new_project_full("p").await;
    let token = project.token.as_str();
    let form = |pairs: &[(&'static str, &str)]| {
        Body::Form(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    };
    let buckets = "/v2/storage/buckets";
    refused(
        send(
            &app,
            token,
            reqwest::Method::POST,
            buckets,
            form(&[("name", "x"), ("stage", "in"), ("colr", "red")]),
        )
        .await,
        "invalidBody",
        "unknown field 'colr'; did you mean 'color'? (known: ",
    );
    refused(
        send(
            &app,
            token,
            reqwest::Method::POST,
            buckets,
            form(&[("name", "x"), ("stage", "in"), ("name", "y")]),
        )
        .await,
        "invalidBody",
        "form field 'name' is given more than once",
    );
    refused(
        send(
            &app,
            token,
            reqwest::Method::POST,
            "/v2/storage/tokens",
            form(&[("description", "d"), ("canManageBuckets", "maybe")]),
        )
        .await,
        "invalidBody",
        "form field 'canManageBuckets': expected true or false (any case), 1 or 0, not 'maybe'",
    );
    let deep_field = format!("description{}", "[a]".repeat(100));
    let deep_field: &'static str = Box::leak(deep_field.into_boxed_str());
    refused(
        send(
            &app,
            token,
            reqwest::Method::POST,
            buckets,
            form(&[("name", "x"), ("stage", "in"), (deep_field, "v")]),
        )
        .await,
        "invalidBody.tooDeep",
        "limits.maxJsonDepth = 100",
    );
    let configs = format!("/v2/storage/components/{MYSQL}/configs");
    let deep_document = format!("{}{}", "[".repeat(101), "]".repeat(101));
    refused(
        send(
            &app,
            token,
            reqwest::Method::POST,
            &configs,
            form(&[("name", "C"), ("configuration", &deep_document)]),
        )
        .await,
        "invalidBody.tooDeep",
        "form field 'configuration': arrays and objects are nested deeper than 100 levels",
    );
    refused(
        send(
            &app,
            token,
            reqwest::Method::POST,
            &configs,
            form(&[("name", "C"), ("configuration", "{not json")]),
        )
        .await,
        "invalidBody",
        "form field 'configuration': expected a JSON document",
    );
    assert!(client.list_buckets(false).await.unwrap().is_empty());
    assert!(client
        .list_configs(&MYSQL.parse().unwrap())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        client.list_tokens().await.unwrap().len(),
        1,
        "the master only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_neither_json_nor_a_form_is_refused_naming_both() {
    let app = spawn_app().await;
    let (project, client) = app.new_project_full("p").await;
    let response = reqwest::Client::new()
        .post(format!("{}/v2/storage/buckets", app.url))
        .header("X-StorageApi-Token", &project.token)
        .header("content-type", "text/plain")
        .body("name=x&stage=in")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    refused(
        (status, response.text().await.unwrap()),
        "invalidBody",
        "application/json, or as a form with Content-Type: application/x-www-form-urlencoded",
    );
    assert!(client.list_buckets(false).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_answers_with_a_trailing_slash_and_lists_the_services() {
    let app = spawn_app().await;
    let (project, _) = app.new_project_full("p").await;
    let index = |path: &'static str| {
        let url = format!("{}{path}", app.url);
        async move {
            let response = reqwest::get(url).await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{path}");
            response.json::<Value>().await.unwrap()
        }
    };
    let plain = index("/v2/storage").await;
    assert_eq!(index("/v2/storage/").await, plain);
    assert_eq!(plain["api"], "storage");
    assert!(plain["version"].is_string());
    assert!(plain["components"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
    for kept in [
        "id",
        "name",
        "region",
        "url",
        "ipAddresses",
        "backends",
        "defaultBackend",
    ] {
        assert!(plain.get(kept).is_some(), "{kept} is still there");
    }
    // The typed client still reads it.
    app.anonymous().index().await.expect("the index parses");
    let base = plain["url"].as_str().unwrap().trim_end_matches('/');
    let service = |id: &str| {
        let services = plain["services"].as_array().expect("services");
        let url = services
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("a service {id} in {services:?}"))["url"]
            .as_str()
            .unwrap()
            .to_string();
        let path = url
            .strip_prefix(base)
            .expect("under the stack's URL")
            .to_string();
        format!("{}{path}", app.url)
    };
    assert_eq!(service("storage"), app.url);
    // Each service answers at the reference's paths under its URL.
    let http = reqwest::Client::new();
    let encrypted = http
        .post(format!(
            "{}/encrypt?componentId={MYSQL}&projectId={}",
            service("encryption"),
            project.project.id
        ))
        .header("content-type", "text/plain")
        .body("secret")
        .send()
        .await
        .unwrap();
    assert_eq!(encrypted.status().as_u16(), 200);
    for url in [
        format!("{}/jobs", service("queue")),
        format!("{}/v2/storage/tokens/verify", service("storage")),
        format!("{}/credentials/{MYSQL}", service("oauth")),
    ] {
        let answer = http
            .get(&url)
            .header("X-StorageApi-Token", &project.token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{url}");
    }
}
