//! Takes every secret out of a configuration before it is written to a snapshot.
//!
//! Ciphertexts are bound to the source stack and project and cannot be opened anywhere else, so
//! carrying them would only look complete and fail at the first run. Each value is replaced by
//! `""` (the document keeps its shape) and its place recorded for the re-entry checklist. The cut
//! is made by the byte-preserving scanner, so everything else stays exactly as the stack returned.
//!
//! The rule is wider than the stack's sealing rule on purpose: everything under a `#` key (also
//! inside objects there), every value under `authorization`, and any `{{ … }}` that is not a vault
//! reference. A snapshot that drops a little too much costs a checklist line; one that keeps a
//! password is a leak.

use serde_json::Value;
use stackport_model::api::{Configuration, RawJson};
use stackport_model::secret_json::{replace_value, rewrite_secrets};
use stackport_model::{ComponentId, ConfigId, RowId};

use super::format::{RemovedSecret, SecretKind};
use crate::error::{MigrateError, Result};

/// Where a configuration keeps its authorizations; `oauth_api` is the OAuth link.
const AUTHORIZATION: &str = "authorization";
const OAUTH_KEY: &str = "oauth_api";
/// Where an SSH tunnel keeps its private key, relative to the tunnel object.
const SSH_KEY_SUFFIX: &str = ".keys.#private";

/// Removes secrets from `config` (of `component`) and its rows; returns what was removed.
pub fn strip_configuration(
    component: &ComponentId,
    config: &mut Configuration,
) -> Result<Vec<RemovedSecret>> {
    let mut removed = Vec::new();
    let id = config.id.clone();
    let owner = Owner {
        component,
        config: &id,
        label: format!("configuration {component}/{}", config.id),
    };
    if let Some(doc) = config.configuration.take() {
        config.configuration = Some(owner.strip(doc, None, "configuration", &mut removed)?);
    }
    if let Some(doc) = config.state.take() {
        config.state = Some(owner.strip(doc, None, "state", &mut removed)?);
    }
    for row in config.rows.iter_mut().flatten() {
        let doc = std::mem::replace(&mut row.configuration, RawJson::empty_object());
        row.configuration = owner.strip(doc, Some(&row.id), "configuration", &mut removed)?;
        let doc = std::mem::replace(&mut row.state, RawJson::empty_object());
        row.state = owner.strip(doc, Some(&row.id), "state", &mut removed)?;
    }
    Ok(removed)
}

/// The configuration whose documents are being stripped.
struct Owner<'a> {
    component: &'a ComponentId,
    config: &'a ConfigId,
    label: String,
}

/// A `{{ vault.name }}` reference: resolved from the project's vault at run time, so it is kept.
pub(crate) fn is_vault_reference(value: &str) -> bool {
    let Some(inner) = value
        .trim()
        .strip_prefix("{{")
        .and_then(|v| v.strip_suffix("}}"))
    else {
        return false;
    };
    let Some(name) = inner.trim().strip_prefix("vault.") else {
        return false;
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Whether a JSON value holds anything (an empty object, array, string or null does not).
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

impl Owner<'_> {
    /// Strips one document of the configuration (or of its row `row`).
    fn strip(
        &self,
        doc: RawJson,
        row: Option<&RowId>,
        document: &str,
        removed: &mut Vec<RemovedSecret>,
    ) -> Result<RawJson> {
        let label = &self.label;
        let place = match row {
            Some(r) => format!("{label}, row {r}, {document}"),
            None => format!("{label}, {document}"),
        };
        let pending = |kind, path, ssh_host| self.removed(kind, row, document, path, ssh_host);
        let bad = |e: String| {
            MigrateError::Refused(format!(
            "cannot strip the secrets of {place}: it is not JSON the stack should have stored ({e}); fix or delete it in the source project"
        ))
        };
        let mut text = doc.get().to_string();
        let parsed: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;

        // Authorizations: the OAuth link and anything else kept there go, whole.
        if let Some(auth) = parsed.get(AUTHORIZATION).and_then(Value::as_object) {
            for (key, value) in auth {
                if !is_set(value) {
                    continue;
                }
                if let Some(out) =
                    replace_value(&text, &[AUTHORIZATION, key], "{}").map_err(|e| bad(e.0))?
                {
                    text = out;
                    let kind = if key == OAUTH_KEY {
                        SecretKind::Oauth
                    } else {
                        SecretKind::Secret
                    };
                    removed.push(pending(kind, format!("{AUTHORIZATION}.{key}"), None));
                }
            }
        }

        let mut found = Vec::new();
        let out = rewrite_secrets::<std::convert::Infallible>(&text, &mut |s| {
            if s.value.is_empty() || is_vault_reference(&s.value) {
                return Ok(None);
            }
            found.push(s.path.to_string());
            Ok(Some(String::new()))
        })
        .map_err(|e| bad(e.0))?
        .unwrap_or_else(|never| match never {});
        let mut tunnels_with_keys = Vec::new();
        for path in found {
            match path.strip_suffix(SSH_KEY_SUFFIX) {
                Some(tunnel) => {
                    let host = tunnel_host(&parsed, tunnel);
                    tunnels_with_keys.push(tunnel.to_string());
                    removed.push(pending(SecretKind::SshKey, path.clone(), host));
                }
                None => removed.push(pending(SecretKind::Secret, path, None)),
            }
        }
        // A tunnel whose key is empty or kept elsewhere still has to be set up again.
        if document == "configuration" {
            let mut tunnels = Vec::new();
            find_tunnels(&parsed, String::new(), &mut tunnels);
            for (tunnel, host) in tunnels {
                if !tunnels_with_keys.contains(&tunnel) {
                    removed.push(pending(
                        SecretKind::SshKey,
                        format!("{tunnel}{SSH_KEY_SUFFIX}"),
                        host,
                    ));
                }
            }
        }
        RawJson::from_string(out).map_err(|e| bad(e.to_string()))
    }

    fn removed(
        &self,
        kind: SecretKind,
        row: Option<&RowId>,
        document: &str,
        path: String,
        ssh_host: Option<String>,
    ) -> RemovedSecret {
        RemovedSecret {
            kind,
            component_id: self.component.clone(),
            config_id: self.config.clone(),
            row_id: row.cloned(),
            document: document.to_string(),
            path,
            ssh_host,
        }
    }
}

/// `sshHost` of the tunnel object at `tunnel` (a dotted path such as `parameters.db.ssh`).
fn tunnel_host(doc: &Value, tunnel: &str) -> Option<String> {
    let mut node = doc;
    for key in tunnel.split('.') {
        node = node.get(key)?;
    }
    node.get("sshHost")?.as_str().map(str::to_string)
}

/// Objects that describe an SSH tunnel: an `ssh` object that is enabled, or any object with an
/// `sshHost`.
fn find_tunnels(node: &Value, path: String, out: &mut Vec<(String, Option<String>)>) {
    let Value::Object(map) = node else { return };
    let host = map
        .get("sshHost")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty());
    let enabled = map.get("enabled").and_then(Value::as_bool) == Some(true);
    if !path.is_empty() && (host.is_some() || (enabled && path.ends_with("ssh"))) {
        out.push((path.clone(), host.map(str::to_string)));
    }
    for (key, child) in map {
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        find_tunnels(child, child_path, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(doc: &str) -> Configuration {
        let mut c: Configuration = serde_json::from_value(serde_json::json!({
            "id": "c1", "name": "t", "description": "", "created": "2026-01-01T00:00:00+00:00",
            "creatorToken": {"id": 1, "description": "x"}, "version": 1, "changeDescription": "",
            "currentVersion": {"created": "2026-01-01T00:00:00+00:00", "creatorToken": {"id": 1, "description": "x"},
                               "changeDescription": "", "versionIdentifier": "v1"},
            "isDisabled": false, "isDeleted": false, "rowsSortOrder": []
        }))
        .unwrap();
        c.configuration = Some(RawJson::from_string(doc.to_string()).unwrap());
        c
    }

    #[test]
    fn nothing_secret_survives_and_every_cut_is_recorded() {
        let doc = r##"{"parameters": {"#creds": {"pass": "plain-in-object"}, "#list": [{"k": "in-array"}],
            "#p": "{{oops-real-password}}", "#v": "{{ vault.db_password }}", "#empty": "", "host": "db"},
            "authorization": {"oauth_api": {"id": "7", "credentials": {"#token": "t"}}, "credentials": {"appSecret": "inline"}, "none": {}}}"##;
        let mut c = config(doc);
        let removed = strip_configuration(&"keboola.ex-db-mysql".parse().unwrap(), &mut c).unwrap();
        let out = c.configuration.unwrap().get().to_string();
        for leaked in [
            "plain-in-object",
            "in-array",
            "oops-real-password",
            "inline",
            "\"t\"",
        ] {
            assert!(!out.contains(leaked), "{leaked} survived: {out}");
        }
        assert!(
            out.contains("{{ vault.db_password }}"),
            "vault references are kept"
        );
        assert!(
            out.contains("\"host\": \"db\""),
            "the rest is untouched: {out}"
        );
        let paths: Vec<(SecretKind, &str)> =
            removed.iter().map(|r| (r.kind, r.path.as_str())).collect();
        assert!(
            paths.contains(&(SecretKind::Oauth, "authorization.oauth_api")),
            "{paths:?}"
        );
        assert!(
            paths.contains(&(SecretKind::Secret, "authorization.credentials")),
            "{paths:?}"
        );
        assert!(
            paths.contains(&(SecretKind::Secret, "parameters.#creds.pass")),
            "{paths:?}"
        );
        assert!(
            paths.contains(&(SecretKind::Secret, "parameters.#list[0].k")),
            "{paths:?}"
        );
        assert!(
            paths.contains(&(SecretKind::Secret, "parameters.#p")),
            "{paths:?}"
        );
        assert_eq!(removed.len(), 5, "{paths:?}");
        assert!(removed.iter().all(|r| r.config_id.as_str() == "c1"));
    }

    #[test]
    fn a_tunnel_is_on_the_checklist_even_without_a_key() {
        let mut c = config(
            r##"{"parameters": {"db": {"ssh": {"enabled": true, "sshHost": "bastion.example.com", "keys": {"#private": ""}}}}}"##,
        );
        let removed = strip_configuration(&"keboola.ex-db-pgsql".parse().unwrap(), &mut c).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].kind, SecretKind::SshKey);
        assert_eq!(removed[0].path, "parameters.db.ssh.keys.#private");
        assert_eq!(removed[0].ssh_host.as_deref(), Some("bastion.example.com"));
    }

    #[test]
    fn only_vault_references_are_references() {
        assert!(is_vault_reference("{{ vault.api_token }}"));
        assert!(is_vault_reference("{{vault.x}}"));
        assert!(!is_vault_reference("{{ password }}"));
        assert!(!is_vault_reference("{{ vault. }}"));
        assert!(!is_vault_reference("{{ vault.a b }}"));
    }
}
