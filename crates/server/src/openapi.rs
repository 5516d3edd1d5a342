//! The OpenAPI 3.0 document, generated from the route table.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::api::{AuthKind, Content, Operation};

fn content(c: Content) -> Option<Value> {
    let schema_ref = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    match c {
        Content::Empty => None,
        Content::Json(name) => Some(json!({ "application/json": { "schema": schema_ref(name) } })),
        Content::JsonList(name) => Some(
            json!({ "application/json": { "schema": { "type": "array", "items": schema_ref(name) } } }),
        ),
        Content::Csv => Some(json!({
            "text/csv": { "schema": { "type": "string" } },
            "application/gzip": { "schema": { "type": "string", "format": "binary" } }
        })),
        Content::Binary => Some(
            json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } }),
        ),
    }
}

fn schema_names(c: Content, out: &mut BTreeMap<String, Value>) {
    if let Content::Json(name) | Content::JsonList(name) = c {
        // Shapes are the `stackport_model::api` types of the same name (see docs/api.md).
        out.entry(name.to_string()).or_insert_with(
            || json!({ "type": "object", "description": format!("stackport_model::api::{name}") }),
        );
    }
}

/// Builds the document for `operations`.
pub fn document(operations: &[Operation]) -> Value {
    let mut paths: BTreeMap<&str, serde_json::Map<String, Value>> = BTreeMap::new();
    let mut schemas = BTreeMap::new();
    schema_names(Content::Json("ErrorBody"), &mut schemas);
    for op in operations {
        let doc = &op.doc;
        let mut parameters: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        parameters.extend(doc.query.iter().map(|(name, description)| {
            json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
        }));
        let mut responses = serde_json::Map::new();
        let mut ok = json!({ "description": "success" });
        if let Some(c) = content(doc.response) {
            ok["content"] = c;
        }
        responses.insert(doc.status.to_string(), ok);
        responses.insert(
            "default".into(),
            json!({ "description": "error", "content": content(Content::Json("ErrorBody")) }),
        );
        let mut operation = json!({
            "summary": doc.summary,
            "operationId": format!("{}{}", op.method, op.path.replace(['/', '{', '}', '-'], "_")),
            "parameters": parameters,
            "responses": responses,
        });
        match doc.auth {
            AuthKind::Public => operation["security"] = json!([]),
            AuthKind::Storage => operation["security"] = json!([{ "storageToken": [] }]),
            AuthKind::Manage => operation["security"] = json!([{ "manageToken": [] }]),
        }
        if let Some(c) = content(doc.body) {
            operation["requestBody"] = json!({ "required": true, "content": c });
        }
        schema_names(doc.body, &mut schemas);
        schema_names(doc.response, &mut schemas);
        paths
            .entry(op.path)
            .or_default()
            .insert(op.method.to_string(), operation);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "stackport stack API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Storage API of a stackport stack. Conventions: docs/api.md."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "storageToken": { "type": "apiKey", "in": "header", "name": "X-StorageApi-Token" },
                "manageToken": { "type": "apiKey", "in": "header", "name": "X-KBC-ManageApiToken" }
            }
        }
    })
}
