//! A job's parameters as stored and shown: the endpoint's query pairs as a JSON object, a
//! repeated name (`whereValues[]`) as a list. They go back into the endpoint's struct through
//! the same pairs, so a stored job runs with exactly what was accepted.

use serde_json::{Map, Value};

pub(super) fn to_json(pairs: &[(String, String)]) -> Value {
    let mut out = Map::new();
    for (name, value) in pairs {
        let (name, listed) = match name.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (name.as_str(), false),
        };
        match out.get_mut(name) {
            Some(Value::Array(values)) => values.push(Value::String(value.clone())),
            Some(one) => *one = Value::Array(vec![one.take(), Value::String(value.clone())]),
            None if listed => {
                out.insert(
                    name.into(),
                    Value::Array(vec![Value::String(value.clone())]),
                );
            }
            None => {
                out.insert(name.into(), Value::String(value.clone()));
            }
        }
    }
    Value::Object(out)
}

pub(super) fn to_pairs(params: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Object(fields) = params {
        for (name, value) in fields {
            match value {
                Value::Array(values) => out.extend(
                    values
                        .iter()
                        .map(|v| (format!("{name}[]"), v.as_str().unwrap_or_default().into())),
                ),
                Value::String(s) => out.push((name.clone(), s.clone())),
                other => out.push((name.clone(), other.to_string())),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_with_repeated_values() {
        let pairs: Vec<(String, String)> = [
            ("gzip", "true"),
            ("whereValues[]", "a,b"),
            ("whereValues[]", "c"),
            ("columns", "x,y"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let json = to_json(&pairs);
        assert_eq!(
            json,
            serde_json::json!({"gzip": "true", "whereValues": ["a,b", "c"], "columns": "x,y"})
        );
        assert_eq!(
            to_pairs(&json),
            vec![
                ("gzip".to_string(), "true".to_string()),
                ("whereValues[]".into(), "a,b".into()),
                ("whereValues[]".into(), "c".into()),
                ("columns".into(), "x,y".into()),
            ]
        );
    }
}
