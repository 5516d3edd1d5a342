//! `POST /v2/storage/events`: an event a component reports about its run, validated, answered
//! and listed.

use serde_json::json;

use crate::helpers::*;
use crate::raw::{post_ok, send, Body};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_event_is_answered_and_listed() {
    let app = spawn_app().await;
    let (created, client) = app.new_project_full("p").await;
    let event = post_ok(
        &app,
        &created.token,
        "/v2/storage/events",
        Body::Json(json!({
            "component": "keboola.ex-db-mysql",
            "message": "Extraction finished",
            "type": "success",
            "configurationId": "123",
            "runId": "456.789",
            "params": {"rows": 10},
            "results": {"tables": 2},
            "duration": 12.5,
        })),
    )
    .await;
    assert_eq!(event["event"], "ext.keboola.ex-db-mysql.");
    assert_eq!(event["type"], "success");
    assert_eq!(event["message"], "Extraction finished");
    assert_eq!(event["params"]["runId"], "456.789");
    assert_eq!(event["params"]["results"]["tables"], 2);
    let listed = client.list_events(&Default::default()).await.unwrap();
    assert_eq!(
        listed[0].id.to_string(),
        event["id"].to_string().trim_matches('"')
    );

    for (body, says) in [
        (json!({"message": "m"}), "component"),
        (
            json!({"component": "keboola.ex-db-mysql", "message": " "}),
            "message is empty",
        ),
        (
            json!({"component": "not a component!", "message": "m"}),
            "not a component id",
        ),
        (
            json!({"component": "keboola.ex-db-mysql", "message": "m", "type": "fatal"}),
            "accepted: info",
        ),
        (
            json!({"component": "keboola.ex-db-mysql", "message": "m", "duration": -1}),
            "duration",
        ),
        (
            json!({"component": "keboola.ex-db-mysql", "message": "m", "params": [1]}),
            "params",
        ),
    ] {
        let (status, answer) = send(
            &app,
            &created.token,
            reqwest::Method::POST,
            "/v2/storage/events",
            Body::Json(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(says), "{body}: {message}");
    }
}
