//! Facts about configurations that become checklist lines: incremental inputs that will reload,
//! tasks that point nowhere.

use serde_json::Value;
use stackport_model::api::Configuration;

/// Input tables of `config` (and its rows) that use `changed_since`: after the migration every
/// row has the migration's `_timestamp`, so their first run reads the whole table.
pub(crate) fn changed_since_inputs(config: &Configuration) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(doc) = &config.configuration {
        collect(&doc.to_value(), &mut found);
    }
    for row in config.rows.iter().flatten() {
        collect(&row.configuration.to_value(), &mut found);
    }
    found.sort();
    found.dedup();
    found
}

fn collect(doc: &Value, out: &mut Vec<String>) {
    let Some(tables) = doc
        .pointer("/storage/input/tables")
        .and_then(Value::as_array)
    else {
        return;
    };
    for t in tables {
        let changed = t.get("changed_since").or_else(|| t.get("changedSince"));
        let set = match changed {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Null) | None => false,
            Some(_) => true,
        };
        if set {
            let source = t.get("source").and_then(Value::as_str).unwrap_or("?");
            out.push(source.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackport_model::api::RawJson;

    #[test]
    fn finds_changed_since_in_configuration_and_rows() {
        let mut config: Configuration = serde_json::from_value(serde_json::json!({
            "id": "1", "name": "t", "description": "", "created": "2026-01-01T00:00:00+00:00",
            "creatorToken": {"id": 1, "description": "x"}, "version": 1, "changeDescription": "",
            "currentVersion": {"created": "2026-01-01T00:00:00+00:00", "creatorToken": {"id": 1, "description": "x"}, "changeDescription": "", "versionIdentifier": "v1"},
            "isDisabled": false, "isDeleted": false, "rowsSortOrder": [],
            "configuration": {"storage": {"input": {"tables": [
                {"source": "in.c-a.orders", "destination": "orders", "changed_since": "-7 days"},
                {"source": "in.c-a.users", "destination": "users", "changed_since": ""}
            ]}}}
        }))
        .unwrap();
        assert_eq!(changed_since_inputs(&config), vec!["in.c-a.orders"]);
        config.configuration = Some(RawJson::from_string("{}".into()).unwrap());
        assert!(changed_since_inputs(&config).is_empty());
    }
}
