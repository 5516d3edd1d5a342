//! Takes every secret out of a configuration before it is written to a snapshot.
//!
//! Ciphertexts are bound to the source stack and project and cannot be opened anywhere else, so
//! carrying them would only look complete and fail at the first run. Each value is replaced by
//! `""` (the document keeps its shape) and its place recorded for the re-entry checklist. The cut
//! is made by the byte-preserving scanner, so everything else stays exactly as the stack returned.

use serde_json::Value;
use stackport_model::api::{Configuration, RawJson};
use stackport_model::secret_json::{replace_value, rewrite_secrets};
use stackport_model::{ComponentId, RowId};

use super::format::{RemovedSecret, SecretKind};
use crate::error::{MigrateError, Result};

/// The OAuth link of a configuration.
const OAUTH_PATH: [&str; 2] = ["authorization", "oauth_api"];
/// Where an SSH tunnel keeps its private key, relative to the tunnel object.
const SSH_KEY_SUFFIX: &str = ".keys.#private";

/// Removes secrets from `config` (of `component`) and its rows; returns what was removed.
pub fn strip_configuration(
    component: &ComponentId,
    config: &mut Configuration,
) -> Result<Vec<RemovedSecret>> {
    let mut removed = Vec::new();
    if let Some(doc) = config.configuration.take() {
        config.configuration = Some(strip_document(doc, None, "configuration", &mut removed)?);
    }
    if let Some(doc) = config.state.take() {
        config.state = Some(strip_document(doc, None, "state", &mut removed)?);
    }
    if let Some(rows) = config.rows.as_mut() {
        for row in rows {
            let doc = std::mem::replace(&mut row.configuration, RawJson::empty_object());
            row.configuration = strip_document(doc, Some(&row.id), "configuration", &mut removed)?;
            let doc = std::mem::replace(&mut row.state, RawJson::empty_object());
            row.state = strip_document(doc, Some(&row.id), "state", &mut removed)?;
        }
    }
    for r in &mut removed {
        r.component_id = component.clone();
        r.config_id = config.id.clone();
    }
    Ok(removed)
}

/// Strips one document; the entries it adds get their configuration from the caller.
fn strip_document(
    doc: RawJson,
    row: Option<&RowId>,
    document: &str,
    removed: &mut Vec<RemovedSecret>,
) -> Result<RawJson> {
    let mut text = doc.get().to_string();
    let bad = |e: String| {
        MigrateError::Refused(format!(
            "cannot read a {document} document to strip its secrets: {e}"
        ))
    };
    if document == "configuration" {
        let parsed: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let linked = parsed
            .pointer("/authorization/oauth_api")
            .is_some_and(|v| !matches!(v, Value::Object(m) if m.is_empty()) && !v.is_null());
        if linked {
            if let Some(out) = replace_value(&text, &OAUTH_PATH, "{}").map_err(|e| bad(e.0))? {
                text = out;
                removed.push(pending(
                    SecretKind::Oauth,
                    row,
                    document,
                    OAUTH_PATH.join("."),
                    None,
                ));
            }
        }
    }
    let mut found = Vec::new();
    let out = rewrite_secrets::<std::convert::Infallible>(&text, &mut |s| {
        if s.value.is_empty() {
            return Ok(None);
        }
        if is_placeholder(&s.value) {
            // `{{ vault.x }}` names a value kept elsewhere; it is not a secret and still works.
            return Ok(None);
        }
        found.push(s.path.to_string());
        Ok(Some(String::new()))
    })
    .map_err(|e| bad(e.0))?
    .unwrap_or_else(|never| match never {});
    if !found.is_empty() {
        let parsed: Option<Value> = serde_json::from_str(&out).ok();
        for path in found {
            let (kind, host) = match path.strip_suffix(SSH_KEY_SUFFIX) {
                Some(tunnel) => (SecretKind::SshKey, ssh_host(parsed.as_ref(), tunnel)),
                None => (SecretKind::Secret, None),
            };
            removed.push(pending(kind, row, document, path, host));
        }
    }
    RawJson::from_string(out).map_err(|e| bad(e.to_string()))
}

fn pending(
    kind: SecretKind,
    row: Option<&RowId>,
    document: &str,
    path: String,
    ssh_host: Option<String>,
) -> RemovedSecret {
    RemovedSecret {
        kind,
        // Filled in by the caller, which knows the configuration.
        component_id: "pending".parse().expect("a valid component id"),
        config_id: "pending".parse().expect("a valid config id"),
        row_id: row.cloned(),
        document: document.to_string(),
        path,
        ssh_host,
    }
}

fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("{{") && v.ends_with("}}")
}

/// `sshHost` of the tunnel object at `tunnel` (a dotted path such as `parameters.db.ssh`).
fn ssh_host(doc: Option<&Value>, tunnel: &str) -> Option<String> {
    let mut node = doc?;
    for key in tunnel.split('.') {
        node = node.get(key)?;
    }
    node.get("sshHost")?.as_str().map(str::to_string)
}
