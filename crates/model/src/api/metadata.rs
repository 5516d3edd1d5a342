use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::MetadataId;
use crate::time::{serde_rfc3339, Timestamp};

/// The provider the stack itself writes (data types); users cannot write it.
pub const STORAGE_PROVIDER: &str = "storage";

/// One metadata entry, unique per object, provider and key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetadataEntry {
    /// Assigned by the stack.
    pub id: MetadataId,
    /// Who owns the key (`user`, a component id, or `storage`).
    pub provider: String,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// When it was last written.
    #[serde(with = "serde_rfc3339")]
    pub timestamp: Timestamp,
}

/// A key and value to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataKeyValue {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Body of `POST …/metadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetadataWrite {
    /// The provider all entries are written under.
    pub provider: String,
    /// Entries for the object itself.
    #[serde(default)]
    pub metadata: Vec<MetadataKeyValue>,
    /// Entries per column, for tables. Read in either of the reference platform's forms (see
    /// [`super::columns_metadata`]); written as the map by column name.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::columns_metadata::deserialize"
    )]
    pub columns_metadata: BTreeMap<String, Vec<MetadataKeyValue>>,
}

/// The provider of a configuration metadata write that names none: the reference platform's
/// clients leave it out (kbcstorage sends no provider) and the reference writes `user`.
pub const DEFAULT_CONFIG_METADATA_PROVIDER: &str = "user";

/// Body of `POST …/configs/{id}/metadata`: as [`MetadataWrite`] without columns, and the
/// provider optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMetadataWrite {
    /// The provider all entries are written under; `user` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The entries.
    #[serde(default)]
    pub metadata: Vec<MetadataKeyValue>,
}

impl From<ConfigMetadataWrite> for MetadataWrite {
    fn from(w: ConfigMetadataWrite) -> Self {
        MetadataWrite {
            provider: w
                .provider
                .unwrap_or_else(|| DEFAULT_CONFIG_METADATA_PROVIDER.to_string()),
            metadata: w.metadata,
            columns_metadata: BTreeMap::new(),
        }
    }
}
