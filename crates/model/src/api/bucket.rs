use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::metadata::MetadataEntry;
use crate::ids::{BucketId, Stage};
use crate::time::{serde_rfc3339, Timestamp};

/// A bucket as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// The bucket's own URL on the stack it was read from.
    #[serde(default)]
    pub uri: String,
    /// `in.c-sales`.
    pub id: BucketId,
    /// `c-sales`, as the reference platform names it.
    pub name: String,
    /// `in` or `out`.
    pub stage: Stage,
    /// A name for people; the bare name unless set.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// The table storage backend.
    pub backend: String,
    /// When it was created.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// When it or one of its tables last changed.
    #[serde(with = "serde_rfc3339")]
    pub last_change_date: Timestamp,
    /// Rows in all its tables, aliases not counted.
    pub rows_count: u64,
    /// Bytes of data in all its tables.
    pub data_size_bytes: u64,
    /// The URL of the bucket's tables, as the reference platform gives it (not the list).
    #[serde(default)]
    pub tables: String,
    /// Always empty: the reference's bucket attributes are deprecated and the stack keeps none.
    #[serde(default)]
    pub attributes: Vec<serde_json::Value>,
    /// With `include=metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Vec<MetadataEntry>>,
}

/// Body of `POST /v2/storage/buckets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", from = "NewBucketBody")]
pub struct NewBucket {
    /// The name without `c-`: `sales` makes `in.c-sales`.
    pub name: String,
    /// `in` or `out`.
    pub stage: Stage,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Must be the project's backend when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

/// What `POST /v2/storage/buckets` reads: [`NewBucket`] and the fields the reference platform
/// documents that the stack accepts and ignores.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct NewBucketBody {
    /// The name without `c-`: `sales` makes `in.c-sales`.
    name: String,
    /// `in` or `out`.
    stage: Stage,
    /// A name for people.
    #[serde(default)]
    display_name: Option<String>,
    /// Free text.
    #[serde(default)]
    description: Option<String>,
    /// Must be the project's backend when given.
    #[serde(default)]
    backend: Option<String>,
    /// Accepted and ignored: the stack shows no colours.
    #[serde(default)]
    color: Option<String>,
}

impl From<NewBucketBody> for NewBucket {
    fn from(body: NewBucketBody) -> Self {
        let NewBucketBody {
            name,
            stage,
            display_name,
            description,
            backend,
            color: _,
        } = body;
        NewBucket {
            name,
            stage,
            display_name,
            description,
            backend,
        }
    }
}
