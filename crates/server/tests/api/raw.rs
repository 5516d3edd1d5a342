//! Requests as kbcstorage sends them (form or JSON bodies, or none), with the status and the
//! answer as JSON; for tests of what the typed client does not send.

use serde_json::Value;

use crate::helpers::TestApp;

/// Starts the answer [`send`] gives for a body that broke off after the status was sent.
pub const BROKEN: &str = "the answer broke off:";

/// A request body.
pub enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
    /// Bytes sent with the given content type.
    Raw(&'static str, &'static str),
}

/// Sends `body` with `token` to `path`; returns the status and the answer (Null when it is
/// not JSON, a string starting with [`BROKEN`] when it broke off).
pub async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Body,
) -> (u16, Value) {
    let request = reqwest::Client::new()
        .request(method, format!("{}{path}", app.url))
        .header("X-StorageApi-Token", token);
    let request = match body {
        Body::None => request,
        Body::Json(value) => request.json(&value),
        Body::Form(pairs) => request.form(&pairs),
        Body::Raw(content_type, text) => request.header("Content-Type", content_type).body(text),
    };
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    match response.text().await {
        Ok(text) => (status, serde_json::from_str(&text).unwrap_or(Value::Null)),
        Err(e) => (status, Value::String(format!("{BROKEN} {e}"))),
    }
}

/// A POST that must succeed; its answer.
pub async fn post_ok(app: &TestApp, token: &str, path: &str, body: Body) -> Value {
    let (status, answer) = send(app, token, reqwest::Method::POST, path, body).await;
    assert!(status == 200 || status == 201, "{path}: {status} {answer}");
    answer
}

/// Sends a request that may answer 202 with a storage job, and waits for the job: a finished
/// job is the answer, with 200 for a success; any other answer is returned as it came.
pub async fn send_job(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Body,
) -> (u16, Value) {
    let (status, answer) = send(app, token, method, path, body).await;
    if status != 202 {
        return (status, answer);
    }
    let job = wait_job(app, token, &answer).await;
    let status = if job["status"] == "success" { 200 } else { 0 };
    (status, job)
}

/// Polls the storage job `accepted` (a 202 answer) until it ends, for at most a minute.
pub async fn wait_job(app: &TestApp, token: &str, accepted: &Value) -> Value {
    let id = accepted["id"].as_u64().expect("a storage job id");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, job) = send(
            app,
            token,
            reqwest::Method::GET,
            &format!("/v2/storage/jobs/{id}"),
            Body::None,
        )
        .await;
        assert_eq!(status, 200, "{job}");
        if job["status"] == "success" || job["status"] == "error" {
            return job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "storage job {id} did not end: {job}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A load that runs as a storage job and fails: the job's error code and message.
pub async fn failed_job(app: &TestApp, token: &str, path: &str, body: Body) -> (String, String) {
    let (status, answer) = send(app, token, reqwest::Method::POST, path, body).await;
    assert_eq!(status, 202, "{path}: a job is accepted: {answer}");
    let job = wait_job(app, token, &answer).await;
    assert_eq!(job["status"], "error", "{job}");
    (
        job["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        job["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// A POST that must succeed, as a storage job (202, then polled) or at once: its answer (the
/// finished job for a job).
pub async fn post_done(app: &TestApp, token: &str, path: &str, body: Body) -> Value {
    let (status, answer) = send_job(app, token, reqwest::Method::POST, path, body).await;
    assert!(status == 200 || status == 201, "{path}: {status} {answer}");
    answer
}

/// A form as kbcstorage's `_make_body` builds it for a load of `mapping`.
pub fn load_form(mapping: &[(&str, &str)], preserve: bool) -> Body {
    let mut pairs = vec![("preserve".to_string(), preserve.to_string())];
    for (i, (source, destination)) in mapping.iter().enumerate() {
        pairs.push((format!("input[{i}][source]"), source.to_string()));
        pairs.push((format!("input[{i}][destination]"), destination.to_string()));
    }
    Body::Form(pairs)
}

/// A form of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> Body {
    Body::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}
