//! `columnsMetadata` of a table metadata write, in both forms the reference platform reads:
//! a map by column name (`{"col": [{"key", "value"}]}`), and the form its Python client sends,
//! a list of lists whose items name their column (`[[{"key", "value", "columnName": "col"}]]`).
//! The reference prefers the second because a map keyed by a numeric column name (`"1"`) is
//! read as an index; so a map item that names its column is filed under that column too.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::metadata::MetadataKeyValue;

/// One item as either form sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Item {
    key: String,
    value: String,
    #[serde(default)]
    column_name: Option<String>,
}

const FORMS: &str = "send columnsMetadata as {\"<column>\": [{\"key\": …, \"value\": …}]} or as \
                     [[{\"key\": …, \"value\": …, \"columnName\": \"<column>\"}]]";

type Columns = BTreeMap<String, Vec<MetadataKeyValue>>;

/// Reads either form into entries per column.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Columns, D::Error> {
    parse(Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn parse(value: Value) -> Result<Columns, String> {
    let mut out = Columns::new();
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (column, items) in map {
                for item in items_of(items, &format!("columnsMetadata.{column}"))? {
                    let column = item.column_name.clone().unwrap_or_else(|| column.clone());
                    push(&mut out, column, item);
                }
            }
        }
        Value::Array(lists) => {
            for (i, items) in lists.into_iter().enumerate() {
                let at = format!("columnsMetadata[{i}]");
                for (j, item) in items_of(items, &at)?.into_iter().enumerate() {
                    let Some(column) = item.column_name.clone() else {
                        return Err(format!(
                            "{at}[{j}] has no columnName: in the list form each item names \
                             its column; {FORMS}"
                        ));
                    };
                    push(&mut out, column, item);
                }
            }
        }
        other => {
            return Err(format!(
                "columnsMetadata is {}, not an object or a list; {FORMS}",
                kind(&other)
            ))
        }
    }
    Ok(out)
}

fn items_of(value: Value, at: &str) -> Result<Vec<Item>, String> {
    let items = match value {
        Value::Array(items) => items,
        // A form-encoded list of one item arrives as the item itself.
        item @ Value::Object(_) => vec![item],
        other => {
            return Err(format!(
                "{at} is {}, not a list of items; {FORMS}",
                kind(&other)
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(j, item)| {
            serde_json::from_value(item).map_err(|e| format!("{at}[{j}]: {e}; {FORMS}"))
        })
        .collect()
}

fn push(out: &mut Columns, column: String, item: Item) {
    out.entry(column).or_default().push(MetadataKeyValue {
        key: item.key,
        value: item.value,
    });
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entries(v: Value) -> Vec<(String, String, String)> {
        parse(v)
            .unwrap()
            .into_iter()
            .flat_map(|(c, items)| items.into_iter().map(move |i| (c.clone(), i.key, i.value)))
            .collect()
    }

    #[test]
    fn both_forms_give_the_same_entries() {
        let by_name = json!({"col1": [{"key": "k", "value": "v"}]});
        let lists = json!([[{"key": "k", "value": "v", "columnName": "col1"}]]);
        let want = vec![("col1".to_string(), "k".to_string(), "v".to_string())];
        assert_eq!(entries(by_name), want);
        assert_eq!(entries(lists), want);
    }

    #[test]
    fn an_indexed_map_files_items_under_the_column_they_name() {
        let indexed = json!({"0": [{"key": "k", "value": "v", "columnName": "1"}]});
        assert_eq!(entries(indexed)[0].0, "1");
    }

    #[test]
    fn empty_list_and_list_item_without_column_name() {
        assert!(parse(json!([])).unwrap().is_empty());
        let e = parse(json!([[{"key": "k", "value": "v"}]])).unwrap_err();
        assert!(e.contains("columnsMetadata[0][0] has no columnName"), "{e}");
    }
}
