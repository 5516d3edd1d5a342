//! kbcstorage's `branches.branch_detail` and `branches.metadata`, and the branch list: a
//! project has its main branch only.

use serde_json::Value;

use crate::helpers::*;
use crate::raw::{send, Body};

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    send(app, token, reqwest::Method::GET, path, Body::None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_branch_answers_by_default_and_by_its_id() {
    let app = spawn_app().await;
    let (created, _) = app.new_project_full("p").await;
    let token = &created.token;
    let (status, main) = get(&app, token, "/v2/storage/dev-branches/default").await;
    assert_eq!(status, 200, "{main}");
    assert_eq!(main["name"], "Main");
    assert_eq!(main["isDefault"], true);
    assert_eq!(main["id"], created.project.id.0);
    assert!(main["created"].is_string());
    assert!(main["creatorToken"]["id"].is_u64(), "{main}");

    let id = main["id"].as_u64().unwrap();
    let (status, by_id) = get(&app, token, &format!("/v2/storage/dev-branches/{id}")).await;
    assert_eq!((status, &by_id), (200, &main));
    let (status, list) = get(&app, token, "/v2/storage/dev-branches").await;
    assert_eq!((status, list), (200, Value::Array(vec![main])));

    for other in ["12345", "feature-x"] {
        let (status, answer) = get(&app, token, &format!("/v2/storage/dev-branches/{other}")).await;
        assert_eq!(status, 404, "{answer}");
        assert!(answer["error"]
            .as_str()
            .unwrap()
            .contains("no development branches"));
    }
    // Another project's main branch is not this project's.
    let (other, _) = app.new_project_full("q").await;
    let (status, _) = get(
        &app,
        &other.token,
        &format!("/v2/storage/dev-branches/{id}"),
    )
    .await;
    assert_eq!(status, 404);

    // branches.metadata(): a list of {id, key, value, provider, timestamp}, id a string.
    let (status, metadata) = get(&app, token, "/v2/storage/branch/default/metadata").await;
    assert_eq!((status, metadata), (200, Value::Array(vec![])));
    crate::raw::post_ok(
        &app,
        token,
        "/v2/storage/branch/default/metadata",
        Body::Json(serde_json::json!({
            "provider": "user",
            "metadata": [{"key": "KBC.projectDescription", "value": "Sales"}]
        })),
    )
    .await;
    let (status, metadata) = get(&app, token, "/v2/storage/branch/default/metadata").await;
    assert_eq!(status, 200);
    let entry = &metadata[0];
    assert!(entry["id"].is_string(), "{entry}");
    assert_eq!(entry["key"], "KBC.projectDescription");
    assert_eq!(entry["value"], "Sales");
    assert!(
        entry["provider"].is_string() && entry["timestamp"].is_string(),
        "{entry}"
    );
}
