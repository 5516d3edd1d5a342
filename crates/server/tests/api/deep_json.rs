//! Deeply nested JSON is refused with the limit's name before anything recurses over it: one
//! 20 KB request used to overflow the stack's thread and take every project down.

use serde_json::json;

use crate::helpers::*;

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

async fn post_json(
    url: &str,
    token: Option<&str>,
    method: reqwest::Method,
    body: String,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.header("x-storageapi-token", token);
    }
    let response = request.send().await.expect("the stack answers");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attack_document_is_refused_everywhere_and_the_stack_stays_up() {
    let app = spawn_app().await;
    let (project, client) = app.new_project_full("p").await;
    client
        .create_config(
            &"keboola.ex-db-mysql".parse().unwrap(),
            &serde_json::from_value(json!({"configurationId": "c1", "name": "C"})).unwrap(),
        )
        .await
        .expect("a configuration");
    let base = &app.url;
    let cases = [
        (
            reqwest::Method::POST,
            format!(
                "{base}/v2/encryption/encrypt?projectId={}",
                project.project.id
            ),
            None,
            nested(10_000),
        ),
        (
            reqwest::Method::POST,
            format!("{base}/v2/storage/components/keboola.ex-db-mysql/configs"),
            Some(project.token.as_str()),
            format!(
                "{{\"name\": \"deep\", \"configuration\": {{\"a\": {}}}}}",
                nested(10_000)
            ),
        ),
        (
            reqwest::Method::PUT,
            format!("{base}/v2/storage/components/keboola.ex-db-mysql/configs/c1/state"),
            Some(project.token.as_str()),
            format!("{{\"state\": {{\"a\": {}}}}}", nested(10_000)),
        ),
    ];
    for (method, url, token, body) in cases {
        assert!(body.len() >= 20_000);
        for _ in 0..3 {
            let (status, answer) = post_json(&url, token, method.clone(), body.clone()).await;
            assert_eq!(status, 400, "{url}: {answer}");
            assert_eq!(answer["code"], "invalidBody.tooDeep", "{url}: {answer}");
            let message = answer["error"].as_str().unwrap();
            assert!(message.contains("limits.maxJsonDepth = 100"), "{message}");
        }
    }
    // Still serving, and nothing was stored.
    let config = client
        .get_config(
            &"keboola.ex-db-mysql".parse().unwrap(),
            &"c1".parse().unwrap(),
        )
        .await
        .expect("the stack still answers");
    assert_eq!(config.state.as_ref().map(|s| s.get()), Some("{}"));
    let configs = client
        .list_configs(&"keboola.ex-db-mysql".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(configs.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_depth_limit_is_exact_and_a_setting() {
    let app = spawn_app().await;
    let url = format!("{}/v2/encryption/encrypt", app.url);
    let (status, _) = post_json(&url, None, reqwest::Method::POST, nested(100)).await;
    assert_eq!(status, 200, "100 levels are within the default limit");
    let (status, answer) = post_json(&url, None, reqwest::Method::POST, nested(101)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("invalidBody.tooDeep"))
    );

    let mut settings = stackport_stack::StackSettings::local_default("127.0.0.1:0");
    settings.limits.max_json_depth = 5;
    let strict = spawn_app_with(settings).await;
    let url = format!("{}/v2/encryption/encrypt", strict.url);
    let (status, answer) = post_json(&url, None, reqwest::Method::POST, nested(6)).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("limits.maxJsonDepth = 5"));
    let (status, _) = post_json(&url, None, reqwest::Method::POST, nested(5)).await;
    assert_eq!(status, 200);
}
