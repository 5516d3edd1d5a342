//! A `serde::Deserializer` over a form's tree that reads each leaf as the type the body asks
//! for, since a form has only strings: `deserialize_bool` takes `true`/`false` in any case and
//! `1`/`0`, numbers are parsed, a string asked for as a list is split at commas, and a JSON
//! document (`RawJson`) is the leaf's text, checked and measured like a JSON body.

use serde::de::value::{StrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::value::RawValue;

use super::tree::{Branch, Node};

/// The name `serde_json` gives a raw JSON value when it asks a deserializer for one.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Why a form did not make the body: the message, the field it is about, and whether it was
/// a nesting limit (which the API answers with its own code).
#[derive(Debug)]
pub struct FormError {
    message: String,
    field: Option<String>,
    pub too_deep: bool,
}

impl FormError {
    pub(super) fn invalid(message: String) -> Self {
        FormError {
            message,
            field: None,
            too_deep: false,
        }
    }

    pub(super) fn too_deep(message: String) -> Self {
        FormError {
            too_deep: true,
            ..FormError::invalid(message)
        }
    }

    /// Names the field the error is about, unless a deeper one is named already.
    fn at(mut self, path: &str) -> Self {
        if self.field.is_none() && !path.is_empty() {
            self.field = Some(path.to_string());
        }
        self
    }
}

impl std::fmt::Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "form field '{field}': {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FormError {}

impl de::Error for FormError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        FormError::invalid(msg.to_string())
    }
}

/// Deserializes the body type from a form's tree; JSON documents inside it may nest at most
/// `max_depth` levels.
pub fn from_tree<T: DeserializeOwned>(tree: Node, max_depth: usize) -> Result<T, FormError> {
    T::deserialize(NodeDe {
        node: tree,
        path: String::new(),
        max_depth,
    })
}

struct NodeDe {
    node: Node,
    /// The field as it was written (`metadata[0][key]`), for messages.
    path: String,
    max_depth: usize,
}

impl NodeDe {
    fn child(&self, key: &str, node: Node) -> NodeDe {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}[{key}]", self.path)
        };
        NodeDe {
            node,
            path,
            max_depth: self.max_depth,
        }
    }

    fn error(&self, message: String) -> FormError {
        FormError::invalid(message).at(&self.path)
    }

    /// The leaf's text, or an error saying that the field wants a single value.
    fn leaf(&self, expected: &str) -> Result<&str, FormError> {
        match &self.node {
            Node::Leaf(text) => Ok(text),
            Node::Branch(_) => Err(self.error(format!(
                "expected {expected}, not nested fields; send it as {}=value",
                self.path
            ))),
        }
    }

    fn parse<N: std::str::FromStr>(&self, expected: &str) -> Result<N, FormError> {
        let text = self.leaf(expected)?;
        text.parse()
            .map_err(|_| self.error(format!("expected {expected}, not '{text}'")))
    }

    /// A JSON document: a leaf is JSON text (as clients send `configuration`), nested fields
    /// become an object of strings.
    fn json_text(self) -> Result<String, FormError> {
        let text = match self.node {
            Node::Leaf(text) => text,
            Node::Branch(branch) => to_json(branch).to_string(),
        };
        stackport_model::json_depth::check(text.as_bytes(), self.max_depth)
            .map_err(|e| FormError::too_deep(e.to_string()).at(&self.path))?;
        let raw: Box<RawValue> = serde_json::from_str(&text).map_err(|e| {
            FormError::invalid(format!("expected a JSON document, but it is not JSON: {e}"))
                .at(&self.path)
        })?;
        Ok(raw.get().to_string())
    }

    fn entries<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        match self.node {
            Node::Branch(branch) => visitor.visit_map(Entries {
                iter: branch.into_entries().into_iter(),
                value: None,
                parent: NodeDe {
                    node: Node::Leaf(String::new()),
                    path: self.path,
                    max_depth: self.max_depth,
                },
            }),
            Node::Leaf(_) => Err(self.error(format!(
                "expected nested fields, such as {}[key]=value",
                self.path
            ))),
        }
    }

    fn list<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        let items: Vec<NodeDe> = match &self.node {
            Node::Leaf(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| NodeDe {
                    node: Node::Leaf(s.to_string()),
                    path: self.path.clone(),
                    max_depth: self.max_depth,
                })
                .collect(),
            Node::Branch(branch) if branch.is_list() => branch
                .clone()
                .into_entries()
                .into_iter()
                .map(|(key, node)| self.child(&key, node))
                .collect(),
            Node::Branch(_) => {
                return Err(self.error(format!(
                    "expected a list, such as {0}[]=a&{0}[]=b",
                    self.path
                )))
            }
        };
        visitor.visit_seq(Items {
            iter: items.into_iter(),
        })
    }
}

/// Nested fields as a JSON value: lists where every key is a number, strings at the leaves.
fn to_json(branch: Branch) -> serde_json::Value {
    let list = branch.is_list();
    let entries = branch.into_entries().into_iter().map(|(key, node)| {
        let value = match node {
            Node::Leaf(text) => serde_json::Value::String(text),
            Node::Branch(b) => to_json(b),
        };
        (key, value)
    });
    if list {
        serde_json::Value::Array(entries.map(|(_, v)| v).collect())
    } else {
        serde_json::Value::Object(entries.collect())
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") || text == "1" {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") || text == "0" {
        Some(false)
    } else {
        None
    }
}

macro_rules! numbers {
    ($($method:ident $visit:ident $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
            visitor.$visit(self.parse::<$ty>($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe {
    type Error = FormError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        match self.node {
            Node::Leaf(text) => visitor.visit_string(text),
            Node::Branch(ref branch) if branch.is_list() && self.path.is_empty() => {
                self.entries(visitor)
            }
            Node::Branch(ref branch) if branch.is_list() => self.list(visitor),
            Node::Branch(_) => self.entries(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        let text = self.leaf("true or false")?;
        match parse_bool(text) {
            Some(b) => visitor.visit_bool(b),
            None => Err(self.error(format!(
                "expected true or false (any case), 1 or 0, not '{text}'"
            ))),
        }
    }

    numbers! {
        deserialize_i8 visit_i8 i8, "a whole number";
        deserialize_i16 visit_i16 i16, "a whole number";
        deserialize_i32 visit_i32 i32, "a whole number";
        deserialize_i64 visit_i64 i64, "a whole number";
        deserialize_u8 visit_u8 u8, "a whole number, 0 or more";
        deserialize_u16 visit_u16 u16, "a whole number, 0 or more";
        deserialize_u32 visit_u32 u32, "a whole number, 0 or more";
        deserialize_u64 visit_u64 u64, "a whole number, 0 or more";
        deserialize_f32 visit_f32 f32, "a number";
        deserialize_f64 visit_f64 f64, "a number";
        deserialize_char visit_char char, "one character";
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        let text = self.leaf("a string")?.to_string();
        visitor.visit_string(text)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        let text = self.leaf("a string")?.to_string();
        visitor.visit_byte_buf(text.into_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        self.deserialize_bytes(visitor)
    }

    /// A form has no null: a field that is sent has a value.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, FormError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FormError> {
        if name == RAW_VALUE_TOKEN {
            let path = self.path.clone();
            let text = self.json_text()?;
            visitor
                .visit_map(RawJsonAccess(Some(text)))
                .map_err(|e| e.at(&path))
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        self.list(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, FormError> {
        self.list(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, FormError> {
        self.list(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        self.entries(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FormError> {
        self.entries(visitor)
    }

    /// Unit variants only (`stage=in`, `bucketPermissions[x]=read`): that is all a form says.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FormError> {
        let text = self.leaf("one of the names")?.to_string();
        let path = self.path;
        visitor
            .visit_enum(IntoDeserializer::<FormError>::into_deserializer(text))
            .map_err(|e| e.at(&path))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
        visitor.visit_unit()
    }
}

/// A branch's fields, each value named by its path when it fails.
struct Entries {
    iter: std::vec::IntoIter<(String, Node)>,
    value: Option<NodeDe>,
    parent: NodeDe,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = FormError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FormError> {
        let Some((key, node)) = self.iter.next() else {
            return Ok(None);
        };
        let value = self.parent.child(&key, node);
        let path = value.path.clone();
        self.value = Some(value);
        let key = self.parent.child(&key, Node::Leaf(key.clone()));
        seed.deserialize(key).map(Some).map_err(|e| e.at(&path))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, FormError> {
        let value = self.value.take().expect("a key was read first");
        let path = value.path.clone();
        seed.deserialize(value).map_err(|e| e.at(&path))
    }
}

/// A list's items.
struct Items {
    iter: std::vec::IntoIter<NodeDe>,
}

impl<'de> de::SeqAccess<'de> for Items {
    type Error = FormError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, FormError> {
        let Some(item) = self.iter.next() else {
            return Ok(None);
        };
        let path = item.path.clone();
        seed.deserialize(item).map(Some).map_err(|e| e.at(&path))
    }
}

/// What `serde_json` reads a raw value from: one entry, its token and the JSON text.
struct RawJsonAccess(Option<String>);

impl<'de> de::MapAccess<'de> for RawJsonAccess {
    type Error = FormError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FormError> {
        if self.0.is_none() {
            return Ok(None);
        }
        seed.deserialize(StrDeserializer::<FormError>::new(RAW_VALUE_TOKEN))
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, FormError> {
        let text = self.0.take().expect("the key was read first");
        seed.deserialize(StringDeserializer::<FormError>::new(text))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use stackport_model::api::RawJson;

    use super::super::tree::parse;
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Body {
        name: String,
        #[serde(default)]
        is_disabled: Option<bool>,
        #[serde(default)]
        expires_in: Option<u64>,
        #[serde(default)]
        columns: Vec<String>,
        #[serde(default)]
        metadata: Vec<Entry>,
        #[serde(default)]
        permissions: BTreeMap<String, Level>,
        #[serde(default)]
        configuration: Option<RawJson>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        key: String,
        value: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Level {
        Read,
        Write,
    }

    fn read(body: &str) -> Result<Body, FormError> {
        from_tree(parse(body, 10)?, 10)
    }

    #[test]
    fn leaves_become_the_types_asked_for() {
        let body = read(
            "name=007&isDisabled=True&expiresIn=3600&columns[]=a&columns[]=b\
             &metadata[0][key]=k&metadata[0][value]=1&permissions[in.c-x]=read\
             &configuration=%7B%22b%22%3A+1%2C%22a%22%3A%5B%5D%7D",
        )
        .unwrap();
        assert_eq!(body.name, "007");
        assert_eq!(body.is_disabled, Some(true));
        assert_eq!(body.expires_in, Some(3600));
        assert_eq!(body.columns, ["a", "b"]);
        assert_eq!(
            body.metadata,
            [Entry {
                key: "k".into(),
                value: "1".into()
            }]
        );
        assert_eq!(body.permissions["in.c-x"], Level::Read);
        assert_eq!(body.configuration.unwrap().get(), r#"{"b": 1,"a":[]}"#);
    }

    #[test]
    fn booleans_take_any_case_and_digits() {
        for (text, expected) in [
            ("true", true),
            ("TRUE", true),
            ("1", true),
            ("False", false),
            ("0", false),
        ] {
            let body = read(&format!("name=n&isDisabled={text}")).unwrap();
            assert_eq!(body.is_disabled, Some(expected), "{text}");
        }
        let e = read("name=n&isDisabled=yes").unwrap_err();
        assert_eq!(
            e.to_string(),
            "form field 'isDisabled': expected true or false (any case), 1 or 0, not 'yes'"
        );
    }

    #[test]
    fn a_list_may_be_comma_separated() {
        assert_eq!(read("name=n&columns=a,b").unwrap().columns, ["a", "b"]);
    }

    #[test]
    fn nested_fields_make_a_json_document_of_strings() {
        let body = read("name=n&configuration[a]=1&configuration[b][]=x").unwrap();
        assert_eq!(body.configuration.unwrap().get(), r#"{"a":"1","b":["x"]}"#);
    }

    #[test]
    fn errors_name_the_field() {
        let e = read("name=n&expiresIn=soon").unwrap_err();
        assert_eq!(
            e.to_string(),
            "form field 'expiresIn': expected a whole number, 0 or more, not 'soon'"
        );
        let e = read("name=n&metadata[0][key]=k").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("form field 'metadata[0]': missing field `value`"),
            "{e}"
        );
        let e = read("name=n&permissions[x]=admin").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("form field 'permissions[x]': unknown variant `admin`"),
            "{e}"
        );
        let e = read("name=n&configuration={oops").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("form field 'configuration': expected a JSON document"),
            "{e}"
        );
        let e = read("name=n&columns[a]=x").unwrap_err();
        assert!(e.to_string().contains("expected a list"), "{e}");
    }

    #[test]
    fn an_unknown_field_is_said_as_serde_says_it() {
        let e = read("name=n&colums[]=a").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("form field 'colums': unknown field `colums`, expected one of"),
            "{e}"
        );
    }

    #[test]
    fn a_json_document_is_measured() {
        let deep = format!("{}{}", "[".repeat(11), "]".repeat(11));
        let e = read(&format!("name=n&configuration={deep}")).unwrap_err();
        assert!(e.too_deep, "{e}");
        assert!(read(&format!(
            "name=n&configuration={}{}",
            "[".repeat(10),
            "]".repeat(10)
        ))
        .is_ok());
    }
}
