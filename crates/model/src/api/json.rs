use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON document kept exactly as written: key order, spacing and number spelling survive a
/// round trip, so `{}` stays `{}`. Configurations and states are the component's, not ours.
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Checks that `text` is one JSON value and keeps it as it is.
    pub fn from_string(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(RawJson)
    }

    /// `{}`.
    pub fn empty_object() -> Self {
        RawJson::from_string("{}".into()).expect("{} is JSON")
    }

    /// The document's text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parses the document into a value (for reading inside it; writing it back would lose its
    /// exact form).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.get()).expect("RawJson always holds valid JSON")
    }

    /// Whether the document is a JSON object.
    pub fn is_object(&self) -> bool {
        self.get().trim_start().starts_with('{')
    }
}

impl Default for RawJson {
    fn default() -> Self {
        RawJson::empty_object()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(d).map(RawJson)
    }
}

impl From<&serde_json::Value> for RawJson {
    fn from(value: &serde_json::Value) -> Self {
        RawJson::from_string(value.to_string()).expect("a Value serializes to JSON")
    }
}
