use serde::{Deserialize, Serialize};

use super::token::TokenRef;
use crate::ids::FileId;
use crate::time::{serde_rfc3339, Timestamp};

/// Days a file is kept unless it is permanent.
pub const DEFAULT_FILE_MAX_AGE_DAYS: u32 = 15;

/// A file in a project's file storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    /// Assigned by the stack.
    pub id: FileId,
    /// The name given at upload.
    pub name: String,
    /// Size of the stored content.
    pub size_bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Tags to find it by.
    pub tags: Vec<String>,
    /// Permanent files never expire.
    pub is_permanent: bool,
    /// Days until an impermanent file is deleted.
    pub max_age_days: Option<u32>,
    /// When it was uploaded.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// When it will be deleted; never when null.
    #[serde(with = "serde_rfc3339::option", default)]
    pub expires: Option<Timestamp>,
    /// Who uploaded it.
    pub creator_token: Option<TokenRef>,
    /// Uploaded as parts and a manifest through the blob endpoint (its content is the parts,
    /// one after another).
    #[serde(default)]
    pub is_sliced: bool,
}

/// One part of a sliced file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSlice {
    /// Its blob name after the file's (`part0001` of blob `12/data.csv` is `12/data.csvpart0001`).
    pub name: String,
    pub size_bytes: u64,
}
