//! The OpenAPI document and the endpoints agree on every read's and delete's query: each GET
//! and DELETE of the document, sent an unknown parameter, refuses it and lists as accepted
//! exactly the parameters the document gives. A route whose handler reads another struct than
//! its documentation names, or reads no query at all (so it would ignore a filter), fails here.

use reqwest::Method;

use crate::helpers::*;

/// A value for a path placeholder that the route's extractor parses, so the request gets as far
/// as the query; the object need not exist.
fn placeholder(previous: &str, name: &str) -> &'static str {
    match (previous, name) {
        ("buckets", "id") => "in.c-docs",
        ("tables", "id") => "in.c-docs.t",
        (_, "component") => "keboola.ex-http",
        (_, "column") => "c",
        ("credentials", "id") => "docs",
        _ => "1",
    }
}

fn concrete(path: &str) -> String {
    let mut previous = "";
    path.split('/')
        .map(|segment| {
            let out = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => placeholder(previous, name).to_string(),
                None => segment.to_string(),
            };
            previous = segment;
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the refusal must say the endpoint accepts, from the document's parameters.
fn expected_accepted(operation: &serde_json::Value) -> String {
    let names: Vec<String> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .map(|p| {
            let name = p["name"].as_str().unwrap_or_default();
            name.strip_suffix("[]").unwrap_or(name).to_string()
        })
        .collect();
    if names.is_empty() {
        "this endpoint takes no query parameters".to_string()
    } else {
        format!("this endpoint accepts {};", names.join(", "))
    }
}

#[tokio::test]
async fn every_read_and_delete_refuses_an_unknown_parameter_listing_what_its_document_says() {
    let app = spawn_app().await;
    let (project, _) = app.new_project_full("query-docs").await;
    let document: serde_json::Value = reqwest::get(format!("{}/v2/openapi.json", app.url))
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("the document is JSON");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        // The blob endpoint speaks Azure's Blob protocol, whose query is the signature and
        // Azure's own operation names, not this API's parameters.
        if path.starts_with("/blob/") {
            continue;
        }
        for (method, operation) in item.as_object().expect("operations") {
            let method = match method.as_str() {
                "get" => Method::GET,
                "delete" => Method::DELETE,
                _ => continue,
            };
            let url = format!("{}{}?zzUnknown=1", app.url, concrete(path));
            let mut request = reqwest::Client::new().request(method.clone(), &url);
            let security = operation["security"].to_string();
            if security.contains("manageToken") {
                request = request.header("X-KBC-ManageApiToken", MANAGE_TOKEN);
            } else if security.contains("storageToken") {
                request = request.header("X-StorageApi-Token", &project.token);
            }
            let response = request.send().await.expect("the server answers");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let error = body["error"].as_str().unwrap_or_default();
            let accepted = expected_accepted(operation);
            checked += 1;
            // An endpoint of a feature the stack does not have refuses everything, this too.
            if status == 501 {
                continue;
            }
            if status != 400
                || body["code"] != "invalidQuery"
                || !error.contains("'zzUnknown'")
                || !error.contains(&accepted)
            {
                wrong.push(format!(
                    "{method} {path}: {status} {body}; the document says: {accepted}"
                ));
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} reads and deletes in the document"
    );
    assert!(
        wrong.is_empty(),
        "{} of {checked}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
