//! A flag as kbcstorage sends it in JSON bodies too: `str(flag).lower()`, so the string
//! `"true"` or `"false"` as well as a JSON boolean. Anything else is refused naming the
//! accepted values.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

/// Reads an optional flag: a boolean, or `"true"`/`"false"` (any case, also `"1"`/`"0"`).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Flag>::deserialize(d)? {
        None => Ok(None),
        Some(Flag::Bool(b)) => Ok(Some(b)),
        Some(Flag::Text(t)) => match t.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom(format!(
                "'{t}' is not a flag; accepted: true, false"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::deserialize")]
        preserve: Option<bool>,
    }

    fn parse(text: &str) -> Result<Option<bool>, serde_json::Error> {
        serde_json::from_str::<Body>(text).map(|b| b.preserve)
    }

    #[test]
    fn booleans_and_their_spellings_are_read() {
        assert_eq!(parse(r#"{"preserve": true}"#).unwrap(), Some(true));
        assert_eq!(parse(r#"{"preserve": "false"}"#).unwrap(), Some(false));
        assert_eq!(parse(r#"{"preserve": "True"}"#).unwrap(), Some(true));
        assert_eq!(parse("{}").unwrap(), None);
        let e = parse(r#"{"preserve": "maybe"}"#).unwrap_err().to_string();
        assert!(e.contains("accepted: true, false"), "{e}");
    }
}
