//! Configurations: the same set, names, flags, row order and rows, and the same documents once
//! what a migration legitimately changes is taken out: secret values (emptied by the migration,
//! maybe re-entered since), history (created, author, version), and the settings a stack writes
//! when it provisions a workspace or BI project for a configuration.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use stackport_client::Client;
use stackport_model::api::{Configuration, Provision, ProvisionedResource};

use super::Verification;
use crate::backend_change::needs_rewrite;
use crate::error::{ApiContext, Result};
use crate::snapshot::strip_configuration;

type Key = (String, String);

async fn live(client: &Client, side: &str) -> Result<BTreeMap<Key, Configuration>> {
    Ok(client
        .list_components("configuration,rows,state", false)
        .await
        .api(|| format!("listing the {side}'s configurations"))?
        .into_iter()
        .flat_map(|c| {
            let component = c.id.to_string();
            c.configurations
                .into_iter()
                .map(move |cfg| ((component.clone(), cfg.id.to_string()), cfg))
        })
        .collect())
}

/// The parameters a stack sets itself when it provisions something for a configuration.
fn provisioned_keys(provisioned: &[ProvisionedResource]) -> BTreeMap<Key, Vec<&'static str>> {
    let mut out: BTreeMap<Key, Vec<&'static str>> = BTreeMap::new();
    for p in provisioned {
        if let (Some(c), Some(id)) = (&p.component_id, &p.configuration_id) {
            let keys: &[&str] = match p.kind {
                Provision::Workspace => &["db"],
                Provision::BiProject => &["project", "user"],
            };
            out.entry((c.to_string(), id.to_string()))
                .or_default()
                .extend(keys);
        }
    }
    out
}

/// A configuration as a migration leaves it comparable: secrets emptied, provisioned settings out.
fn comparable(component: &str, config: &Configuration) -> Configuration {
    let mut c = config.clone();
    // Both sides go through the snapshot's own cut, so an emptied value and a re-entered one
    // (a ciphertext of this stack) compare equal.
    if let Ok(component) = component.parse() {
        let _ = strip_configuration(&component, &mut c);
    }
    c
}

fn document(doc: Option<&stackport_model::api::RawJson>, drop: &[&str]) -> Value {
    let mut v = doc.map(|d| d.to_value()).unwrap_or(Value::Null);
    if let Some(params) = v.get_mut("parameters").and_then(Value::as_object_mut) {
        for k in drop {
            params.remove(*k);
        }
    }
    v
}

pub(super) async fn compare(
    src: &Client,
    dst: &Client,
    provisioned: &[ProvisionedResource],
    changed_to: Option<&str>,
    v: &mut Verification,
) -> Result<()> {
    let source = live(src, "source").await?;
    let dest = live(dst, "destination").await?;
    let drops = provisioned_keys(provisioned);
    for (component, id) in dest.keys().filter(|k| !source.contains_key(*k)) {
        v.differ(
            format!("configuration {component}/{id}"),
            "existence",
            "missing",
            "present",
        );
    }
    for (key, s) in &source {
        let (component, id) = key;
        let object = format!("configuration {component}/{id}");
        let Some(d) = dest.get(key) else {
            v.differ(object, "existence", "present", "missing");
            continue;
        };
        v.configurations += 1;
        let drop = drops.get(key).map(Vec::as_slice).unwrap_or_default();
        let s = comparable(component, s);
        let d = comparable(component, d);
        if s.name != d.name {
            v.differ(&object, "name", &s.name, &d.name);
        }
        if s.description != d.description {
            v.differ(&object, "description", &s.description, &d.description);
        }
        let rewrite = changed_to.is_some_and(|to| needs_rewrite(component, to));
        if rewrite && d.is_disabled && !s.is_disabled {
            // Disabled by the backend change, as intended: recorded, not a difference.
            v.disabled_for_rewrite
                .push(format!("{object} ({})", d.name));
        } else if s.is_disabled != d.is_disabled {
            v.differ(&object, "isDisabled", s.is_disabled, d.is_disabled);
        }
        if s.rows_sort_order != d.rows_sort_order {
            v.differ(
                &object,
                "rowsSortOrder",
                format!("{:?}", s.rows_sort_order),
                format!("{:?}", d.rows_sort_order),
            );
        }
        diff(
            &document(s.configuration.as_ref(), drop),
            &document(d.configuration.as_ref(), drop),
            "configuration",
            &object,
            v,
        );
        diff(
            &document(s.state.as_ref(), &[]),
            &document(d.state.as_ref(), &[]),
            "state",
            &object,
            v,
        );
        let srows: BTreeMap<String, _> = s
            .rows
            .iter()
            .flatten()
            .map(|r| (r.id.to_string(), r))
            .collect();
        let drows: BTreeMap<String, _> = d
            .rows
            .iter()
            .flatten()
            .map(|r| (r.id.to_string(), r))
            .collect();
        let ids: BTreeSet<&String> = srows.keys().chain(drows.keys()).collect();
        for row in ids {
            let field = format!("rows[{row}]");
            match (srows.get(row), drows.get(row)) {
                (Some(_), None) => v.differ(&object, &field, "present", "missing"),
                (None, Some(_)) => v.differ(&object, &field, "missing", "present"),
                (Some(a), Some(b)) => {
                    if (&a.name, &a.description, a.is_disabled)
                        != (&b.name, &b.description, b.is_disabled)
                    {
                        v.differ(
                            &object,
                            format!("{field} name/description/isDisabled"),
                            format!("{} / {} / {}", a.name, a.description, a.is_disabled),
                            format!("{} / {} / {}", b.name, b.description, b.is_disabled),
                        );
                    }
                    diff(
                        &a.configuration.to_value(),
                        &b.configuration.to_value(),
                        &format!("{field}.configuration"),
                        &object,
                        v,
                    );
                    diff(
                        &a.state.to_value(),
                        &b.state.to_value(),
                        &format!("{field}.state"),
                        &object,
                        v,
                    );
                }
                (None, None) => {}
            }
        }
    }
    Ok(())
}

/// Records where two JSON values differ, by path (at most a few places per document).
fn diff(a: &Value, b: &Value, path: &str, object: &str, v: &mut Verification) {
    let mut found = Vec::new();
    walk(a, b, path.to_string(), &mut found);
    for (p, x, y) in found.into_iter().take(5) {
        v.differ(object, p, x, y);
    }
}

fn walk(a: &Value, b: &Value, path: String, out: &mut Vec<(String, String, String)>) {
    if out.len() >= 5 || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(l), Some(r)) => walk(l, r, p, out),
                    (Some(l), None) => out.push((p, l.to_string(), "(missing)".into())),
                    (None, Some(r)) => out.push((p, "(missing)".into(), r.to_string())),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                walk(l, r, format!("{path}[{i}]"), out);
            }
        }
        _ => out.push((path, a.to_string(), b.to_string())),
    }
}
