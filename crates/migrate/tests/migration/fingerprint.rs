//! Everything a project's API shows, as one JSON document: two fingerprints are equal only if
//! nothing visible changed (data with `_timestamp`, configurations with versions and trash,
//! metadata, orchestrations, members, tokens, files, events).

use serde_json::{json, Value};
use stackport_client::{Client, EventQuery, ExportParams};

pub async fn fingerprint(client: &Client) -> Value {
    let verified = client.verify_token().await.unwrap();
    let buckets = client.list_buckets(true).await.unwrap();
    let tables = client.list_tables().await.unwrap();
    let mut data = serde_json::Map::new();
    for t in tables.iter().filter(|t| !t.is_alias) {
        let csv = client
            .export_table(
                &t.id,
                &ExportParams {
                    include_internal_timestamp: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        data.insert(
            t.id.to_string(),
            Value::String(String::from_utf8(csv).unwrap()),
        );
    }
    let components = client
        .list_components("configuration,rows,state", false)
        .await
        .unwrap();
    let mut details = Vec::new();
    for c in &components {
        for cfg in &c.configurations {
            details.push(json!({
                "component": c.id,
                "config": cfg.id,
                "metadata": client.config_metadata(&c.id, &cfg.id).await.unwrap(),
                "versions": client.list_config_versions(&c.id, &cfg.id).await.unwrap(),
            }));
        }
    }
    let trash = client
        .list_components("configuration,rows,state", true)
        .await
        .unwrap();
    json!({
        "owner": verified.owner,
        "buckets": buckets,
        "tables": tables,
        "data": data,
        "components": components,
        "configDetails": details,
        "trash": trash,
        "orchestrations": client.list_orchestrations().await.unwrap(),
        "provisioned": client.list_provisioned().await.unwrap(),
        "workspaces": client.list_workspaces().await.unwrap(),
        "users": client.list_project_users().await.unwrap(),
        "tokens": client.list_tokens().await.unwrap(),
        "files": client.list_files(&[], Some(1000)).await.unwrap(),
        "events": client.list_events(&EventQuery { limit: Some(1000), ..Default::default() }).await.unwrap(),
        "projectMetadata": client.project_metadata().await.unwrap(),
    })
}
