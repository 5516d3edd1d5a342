//! Typed identifiers, parsed once at the boundary so that the rest of the code never handles a raw
//! string where a bucket or a table is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier; the message names the value and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} '{value}' is not valid: {rule}")]
pub struct IdError {
    /// The kind of identifier, as a user would name it ("bucket id", "column name").
    pub what: &'static str,
    /// The rejected input.
    pub value: String,
    /// The rule it broke, phrased as what to do instead.
    pub rule: &'static str,
}

fn id_error(what: &'static str, value: &str, rule: &'static str) -> IdError {
    IdError {
        what,
        value: value.chars().take(200).collect(),
        rule,
    }
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        numeric_id!(@common $name, $what);

        impl<'de> Deserialize<'de> for $name {
            /// A number, as written; one past [`MAX_NUMERIC_ID`] is refused here, at the
            /// boundary, rather than by the store that cannot hold it.
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let n = u64::deserialize(d)?;
                if n > MAX_NUMERIC_ID {
                    return Err(serde::de::Error::custom(format!(
                        "{n} is not a {}: the largest is {MAX_NUMERIC_ID}",
                        $what
                    )));
                }
                Ok($name(n))
            }
        }
    };
    (@string $(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        numeric_id!(@common $name, $what);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                match StringOrNumber::deserialize(d)? {
                    StringOrNumber::Number(n) if n > MAX_NUMERIC_ID => Err(serde::de::Error::custom(
                        format!("{n} is not a {}: the largest is {MAX_NUMERIC_ID}", $what),
                    )),
                    StringOrNumber::Number(n) => Ok($name(n)),
                    StringOrNumber::String(s) => s.parse().map_err(serde::de::Error::custom),
                }
            }
        }
    };
    (@common $name:ident, $what:literal) => {

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                // Stores keep ids as SQL integers (i64): a larger number names nothing.
                s.parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0 && *n <= MAX_NUMERIC_ID)
                    .map($name)
                    .ok_or_else(|| {
                        id_error($what, s, "use a positive whole number up to 9223372036854775807")
                    })
            }
        }
    };
}

/// The largest numeric id: what a signed 64-bit SQL integer holds.
pub const MAX_NUMERIC_ID: u64 = i64::MAX as u64;

numeric_id!(
    /// A project, unique within one stack; another stack numbers its projects on its own.
    ProjectId,
    "project id"
);
numeric_id!(
    /// A Storage API token.
    TokenId,
    "token id"
);
numeric_id!(
    /// A file in a project's file storage.
    FileId,
    "file id"
);
numeric_id!(
    /// An event; ids grow with time, so `sinceId` paging works.
    EventId,
    "event id"
);
numeric_id!(
    @string
    /// One metadata entry. Written as a string, as the reference platform answers it (its
    /// clients compare and pass it back as one); a number is still read, from older snapshots.
    MetadataId,
    "metadata id"
);

numeric_id!(
    /// An orchestration; the stack numbers them, so they change when a project moves.
    OrchestrationId,
    "orchestration id"
);
numeric_id!(
    @string
    /// A trigger; written as a string, as the reference platform answers it. The stack numbers
    /// them, so they change when a project moves.
    TriggerId,
    "trigger id"
);
numeric_id!(
    /// A provisioned SQL workspace.
    WorkspaceId,
    "workspace id"
);
numeric_id!(
    /// A job of the stack's queue; ids grow with time.
    JobId,
    "job id"
);
numeric_id!(
    /// A storage job: an asynchronous table or bucket operation; ids grow with time.
    StorageJobId,
    "storage job id"
);

/// Longest component, configuration or row id.
pub const MAX_TEXT_ID_LEN: usize = 128;

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The id as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                if s.is_empty() || s.len() > MAX_TEXT_ID_LEN {
                    return Err(id_error($what, s, "use 1 to 128 characters"));
                }
                if !s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                    || s.starts_with('.')
                {
                    return Err(id_error(
                        $what,
                        s,
                        "use only letters, digits, '_', '-' and '.' (not first)",
                    ));
                }
                Ok($name(s.to_string()))
            }
        }
    };
}

text_id!(
    /// A component in a stack's registry, e.g. `keboola.ex-db-mysql`.
    ComponentId,
    "component id"
);
text_id!(
    /// A configuration of a component; a string the caller may choose.
    ConfigId,
    "configuration id"
);
text_id!(
    /// A row of a configuration; a string the caller may choose.
    RowId,
    "row id"
);
text_id!(
    /// A set of OAuth credentials of a component, named by whoever authorized it.
    CredentialsId,
    "credentials id"
);

/// The two stages of Storage: data coming in from extractors and data going out to writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// `in.c-…`
    In,
    /// `out.c-…`
    Out,
}

impl Stage {
    /// The lower-case name used in ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::In => "in",
            Stage::Out => "out",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        match s {
            "in" => Ok(Stage::In),
            "out" => Ok(Stage::Out),
            _ => Err(id_error("stage", s, "use 'in' or 'out'")),
        }
    }
}

/// Longest bucket or table name; the reference platform's limit.
pub const MAX_NAME_LEN: usize = 96;
/// Longest column name.
pub const MAX_COLUMN_LEN: usize = 64;

/// Checks a bucket or table name: ASCII letters, digits, `_` and `-`, at most 96 characters.
pub fn validate_name(what: &'static str, name: &str) -> Result<(), IdError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(id_error(what, name, "use 1 to 96 characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(id_error(
            what,
            name,
            "use only letters A-Z, a-z, digits, '_' and '-'",
        ));
    }
    Ok(())
}

/// A bucket: `in.c-sales`. The `c-` prefix is part of the id, not of the name the user chose.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BucketId {
    stage: Stage,
    name: String,
}

impl BucketId {
    /// Builds the id of the bucket a user creates with `stage` and `name` (without `c-`).
    pub fn new(stage: Stage, name: &str) -> Result<Self, IdError> {
        let name = name.strip_prefix("c-").unwrap_or(name);
        validate_name("bucket name", name)?;
        Ok(BucketId {
            stage,
            name: name.to_string(),
        })
    }

    /// The stage part.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The name without the `c-` prefix, as given when the bucket was created.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for BucketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.c-{}", self.stage, self.name)
    }
}

impl FromStr for BucketId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        const RULE: &str = "use the form in.c-<name> or out.c-<name>";
        let (stage, rest) = s
            .split_once('.')
            .ok_or_else(|| id_error("bucket id", s, RULE))?;
        let stage: Stage = stage.parse().map_err(|_| id_error("bucket id", s, RULE))?;
        let name = rest
            .strip_prefix("c-")
            .ok_or_else(|| id_error("bucket id", s, RULE))?;
        validate_name("bucket id", name).map_err(|e| IdError {
            value: s.into(),
            ..e
        })?;
        Ok(BucketId {
            stage,
            name: name.to_string(),
        })
    }
}

/// A table: `in.c-sales.orders`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId {
    bucket: BucketId,
    name: String,
}

impl TableId {
    /// The table `name` in `bucket`.
    pub fn new(bucket: BucketId, name: &str) -> Result<Self, IdError> {
        validate_name("table name", name)?;
        Ok(TableId {
            bucket,
            name: name.to_string(),
        })
    }

    /// The bucket the table lives in.
    pub fn bucket(&self) -> &BucketId {
        &self.bucket
    }

    /// The table's own name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.bucket, self.name)
    }
}

impl FromStr for TableId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let (bucket, name) = s
            .rsplit_once('.')
            .ok_or_else(|| id_error("table id", s, "use the form in.c-<bucket>.<table>"))?;
        let bucket: BucketId = bucket
            .parse()
            .map_err(|_| id_error("table id", s, "use the form in.c-<bucket>.<table>"))?;
        validate_name("table id", name).map_err(|e| IdError {
            value: s.into(),
            ..e
        })?;
        Ok(TableId {
            bucket,
            name: name.to_string(),
        })
    }
}

/// A column name: letters of any script, digits, `_` and `-`, at most 64 characters; it may
/// start with a digit (`1`, `2024`, `název`). `_timestamp` is the stack's own and is refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ColumnName(String);

/// Column names with this prefix are the stack's own.
pub const RESERVED_PREFIX: &str = "_stackport";

/// The internal per-row change time, never a user column.
pub const TIMESTAMP_COLUMN: &str = "_timestamp";

impl ColumnName {
    /// Validates `name` as a column name.
    pub fn parse(name: &str) -> Result<Self, IdError> {
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_COLUMN_LEN {
            return Err(id_error("column name", name, "use 1 to 64 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(id_error(
                "column name",
                name,
                "use only letters, digits, '_' and '-'",
            ));
        }
        if name.to_ascii_lowercase().starts_with(RESERVED_PREFIX) {
            return Err(id_error(
                "column name",
                name,
                "names starting with _stackport are kept by the stack; choose another name",
            ));
        }
        if name.eq_ignore_ascii_case(TIMESTAMP_COLUMN) {
            return Err(id_error(
                "column name",
                name,
                "_timestamp is kept by the stack for each row; choose another name",
            ));
        }
        Ok(ColumnName(name.to_string()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form two names are compared in: columns may not repeat case-insensitively.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for ColumnName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ColumnName {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        ColumnName::parse(s)
    }
}

impl AsRef<str> for ColumnName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// An id that older answers wrote as a number and newer ones as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    Number(u64),
    String(String),
}

macro_rules! string_serde {
    ($($name:ident),*) => {$(
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

string_serde!(
    BucketId,
    TableId,
    ColumnName,
    ComponentId,
    ConfigId,
    RowId,
    CredentialsId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_ids_are_written_as_strings_and_read_as_either() {
        assert_eq!(serde_json::to_string(&MetadataId(7)).unwrap(), "\"7\"");
        let from_string: MetadataId = serde_json::from_str("\"7\"").unwrap();
        let from_number: MetadataId = serde_json::from_str("7").unwrap();
        assert_eq!((from_string, from_number), (MetadataId(7), MetadataId(7)));
        assert!(serde_json::from_str::<MetadataId>("\"x\"").is_err());
    }

    #[test]
    fn bucket_and_table_ids_round_trip() {
        let t: TableId = "in.c-sales.orders".parse().unwrap();
        assert_eq!(t.bucket().to_string(), "in.c-sales");
        assert_eq!(t.bucket().stage(), Stage::In);
        assert_eq!(t.name(), "orders");
        assert_eq!(t.to_string(), "in.c-sales.orders");
        let b = BucketId::new(Stage::Out, "c-reports").unwrap();
        assert_eq!(b.to_string(), "out.c-reports");
    }

    #[test]
    fn bad_ids_are_refused_with_the_value_named() {
        for bad in [
            "sales",
            "in.sales",
            "sys.c-x",
            "in.c-",
            "in.c-a b",
            "in.c-../x",
        ] {
            let err = bad.parse::<BucketId>().unwrap_err();
            assert_eq!(err.value, bad);
        }
        for bad in ["in.c-a", "in.c-a.", "in.c-a.b c", "in.c-a./etc"] {
            assert!(bad.parse::<TableId>().is_err(), "{bad}");
        }
        assert!(BucketId::new(Stage::In, &"x".repeat(97)).is_err());
    }

    #[test]
    fn text_ids_keep_to_path_safe_characters() {
        for ok in ["keboola.ex-db-mysql", "123", "my_config-1"] {
            ok.parse::<ConfigId>().unwrap();
        }
        for bad in ["", "a/b", "a b", "..", ".hidden", "ü", &"x".repeat(129)] {
            assert!(bad.parse::<ComponentId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn columns_take_any_script_and_leading_digits() {
        for ok in ["1", "2024", "název", "Ørsted_id", "a-b", "日本"] {
            ColumnName::parse(ok).unwrap();
        }
        for bad in [
            "",
            "a b",
            "a.b",
            "_timestamp",
            "_stackport_row",
            "a\"b",
            &"x".repeat(65),
        ] {
            assert!(ColumnName::parse(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod numeric_bounds {
    use super::*;

    #[test]
    fn an_id_no_store_can_hold_is_refused_however_it_comes() {
        let max = MAX_NUMERIC_ID.to_string();
        let over = (MAX_NUMERIC_ID + 1).to_string();
        assert_eq!(max.parse::<TokenId>().unwrap().0, MAX_NUMERIC_ID);
        assert!(over.parse::<TokenId>().is_err());
        assert!(serde_json::from_str::<TokenId>(&over).is_err());
        assert_eq!(
            serde_json::from_str::<TokenId>(&max).unwrap().0,
            MAX_NUMERIC_ID
        );
        assert!(serde_json::from_str::<MetadataId>(&over).is_err());
        assert!(serde_json::from_str::<MetadataId>(&format!("\"{over}\"")).is_err());
    }
}
