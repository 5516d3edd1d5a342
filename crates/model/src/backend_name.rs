//! The name of a table backend (`sqlite`, `postgresql`): what a stack's settings offer,
//! what a project records, and what the stack looks its backend up by.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::IdError;

/// A backend's name: 1 to 32 lowercase ASCII letters, digits and `-`, starting with a letter.
///
/// Parsed once where it enters (`stack.json`, a builder naming its implementation), so a name
/// that differs only in case or spacing is refused there instead of matching nothing later.
/// Serialised as the plain string, so `stack.json` and the API keep the same text.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BackendName(Cow<'static, str>);

const MAX_LEN: usize = 32;
const RULE: &str = "use 1 to 32 lowercase letters, digits and '-', starting with a letter";

/// Whether `name` follows the rule; `const` so a built-in name is checked when it compiles.
const fn is_valid(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() || b.len() > MAX_LEN || !b[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit() || b[i] == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

impl BackendName {
    /// The embedded backend: a SQLite file per project.
    pub const SQLITE: BackendName = BackendName::from_static("sqlite");

    /// A schema per project on one of the PostgreSQL servers a stack registers.
    pub const POSTGRESQL: BackendName = BackendName::from_static("postgresql");

    /// Validates `name` as a backend name.
    pub fn parse(name: &str) -> Result<Self, IdError> {
        if !is_valid(name) {
            return Err(IdError {
                what: "backend name",
                value: name.chars().take(200).collect(),
                rule: RULE,
            });
        }
        Ok(BackendName(Cow::Owned(name.to_string())))
    }

    /// A name fixed in the code (an implementation's own); an invalid one fails the build when
    /// used in a `const`, and panics otherwise.
    pub const fn from_static(name: &'static str) -> Self {
        assert!(is_valid(name), "not a valid backend name");
        BackendName(Cow::Borrowed(name))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BackendName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// As the quoted string, so messages listing names (`["sqlite"]`) read as they did when the
/// names were plain strings.
impl fmt::Debug for BackendName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl FromStr for BackendName {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        BackendName::parse(s)
    }
}

impl AsRef<str> for BackendName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for BackendName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for BackendName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for BackendName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl Serialize for BackendName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BackendName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        BackendName::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_names_with_digits_and_dashes() {
        for ok in ["sqlite", "postgres", "pg-15", "a", &"x".repeat(32)] {
            assert_eq!(BackendName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_what_would_match_nothing_later() {
        for bad in [
            "",
            "SQLite",
            "sqlite ",
            " sqlite",
            "sql_lite",
            "-sqlite",
            "1sqlite",
            "sqlité",
            &"x".repeat(33),
        ] {
            let err = BackendName::parse(bad).unwrap_err();
            assert_eq!(err.what, "backend name", "{bad:?}");
            assert!(err.to_string().contains("lowercase"), "{err}");
        }
    }

    #[test]
    fn serialises_as_the_plain_string_and_validates_when_read() {
        let names = vec![BackendName::SQLITE, BackendName::parse("pg").unwrap()];
        let json = serde_json::to_string(&names).unwrap();
        assert_eq!(json, r#"["sqlite","pg"]"#);
        let back: Vec<BackendName> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, names);
        let err = serde_json::from_str::<BackendName>(r#""Postgres""#).unwrap_err();
        assert!(err.to_string().contains("backend name 'Postgres'"), "{err}");
    }

    #[test]
    fn debug_reads_like_the_string_it_replaced() {
        let names = vec![BackendName::SQLITE, BackendName::parse("pg").unwrap()];
        assert_eq!(format!("{names:?}"), r#"["sqlite", "pg"]"#);
        assert_eq!(BackendName::SQLITE, "sqlite");
    }
}
