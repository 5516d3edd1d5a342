//! Files whose bytes move through the stack's blob endpoint: the answers of `files/prepare` and
//! of a file's detail, in the shape the reference platform gives them for its Azure stacks
//! (`provider: "azure"`), which is what `kbcstorage` reads to drive the Azure SDK.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::file::FileInfo;

/// The provider every stack answers: its blob endpoint speaks Azure Blob Storage.
pub const FILE_PROVIDER: &str = "azure";

/// Body of `POST /v2/storage/files/prepare` (form or JSON), as `kbcstorage` sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrepareFile {
    /// The file's name.
    pub name: String,
    /// Tags to find it by.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Never expires.
    #[serde(default)]
    pub is_permanent: bool,
    /// Parts and a manifest are uploaded (`<blobName><part>`, `<blobName>manifest`).
    #[serde(default)]
    pub is_sliced: bool,
    /// Accepted and ignored: the stack does not encrypt file bytes itself (the answer says
    /// `isEncrypted: false`).
    #[serde(default)]
    pub is_encrypted: Option<bool>,
    /// Public files are refused: every read is signed.
    #[serde(default)]
    pub is_public: bool,
    /// Accepted and ignored: the stack sends no notifications.
    #[serde(default)]
    pub notify: Option<bool>,
    /// The size the client will upload; refused early when over the stack's limit.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// Accepted: the answer always carries the upload's credentials.
    #[serde(default)]
    pub federation_token: Option<bool>,
}

/// A file with where its bytes are: what `files/prepare`, `GET files/{id}` and the file list
/// answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileResource {
    #[serde(flatten)]
    pub file: FileInfo,
    /// Always [`FILE_PROVIDER`].
    pub provider: String,
    /// The stack's region.
    pub region: String,
    /// A signed download URL that a plain GET reads (empty for a prepared file).
    pub url: String,
    pub is_encrypted: bool,
    pub is_public: bool,
    /// The file's blob.
    pub abs_path: AbsPath,
    /// A read signature, with `federationToken=true` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs_credentials: Option<AbsCredentials>,
    /// Where and how to upload: the answer of `files/prepare` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abs_upload_params: Option<AbsUploadParams>,
}

/// A blob's place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsPath {
    pub container: String,
    pub name: String,
}

/// A signature for the Azure SDK: `BlobServiceClient.from_connection_string` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsCredentials {
    /// `BlobEndpoint=<stack>/blob;SharedAccessSignature=<signature>`.
    #[serde(rename = "SASConnectionString")]
    pub sas_connection_string: String,
    /// When the signature expires, RFC 3339.
    pub expiration: String,
}

/// Where `files/prepare` lets the client upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbsUploadParams {
    pub blob_name: String,
    pub container: String,
    pub account_name: String,
    pub abs_credentials: AbsCredentials,
}
