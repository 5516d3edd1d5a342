//! The files of a snapshot, as `docs/snapshot-format.md` defines them. Reading goes through these
//! types, so a document of the wrong shape is refused where it is parsed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use stackport_model::api::{
    Bucket, MetadataEntry, Orchestration, Project, ProvisionedResource, Table, Trigger, UserRole,
    UserStatus,
};
use stackport_model::{BucketId, ComponentId, ConfigId, RowId, TableId, TokenId};

/// The version this code writes. Version 2 added `triggers.json` and `inventory.triggers`.
pub const FORMAT_VERSION: u32 = 2;

/// The oldest version this code reads: a version-1 snapshot reads as one without triggers.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// File names inside a snapshot.
pub mod paths {
    /// Written last; lists every other file.
    pub const MANIFEST: &str = "manifest.json";
    /// The project and its stack.
    pub const PROJECT: &str = "project.json";
    /// Buckets with metadata.
    pub const BUCKETS: &str = "storage/buckets.json";
    /// Tables and aliases with metadata and data references.
    pub const TABLES: &str = "storage/tables.json";
    /// Orchestrations as the source returned them.
    pub const ORCHESTRATIONS: &str = "orchestrations.json";
    /// Workspaces and BI projects.
    pub const PROVISIONED: &str = "provisioned.json";
    /// Triggers as the source returned them (from version 2).
    pub const TRIGGERS: &str = "triggers.json";
    /// Where each removed secret was.
    pub const SECRETS: &str = "secrets.json";
    /// What the migration does not carry.
    pub const NOT_MOVED: &str = "not-moved.json";

    /// A configuration document. Each configuration has its own directory: configuration ids
    /// may contain `.`, so no suffix scheme in one directory could keep them apart.
    pub fn configuration(component: &super::ComponentId, config: &super::ConfigId) -> String {
        format!("components/{component}/{config}/configuration.json")
    }

    /// A configuration's metadata.
    pub fn configuration_metadata(
        component: &super::ComponentId,
        config: &super::ConfigId,
    ) -> String {
        format!("components/{component}/{config}/metadata.json")
    }

    /// One chunk of a table's data.
    pub fn chunk(table: &super::TableId, n: usize, codec: super::Codec) -> String {
        format!("storage/data/{table}/{n}.csv.{}", codec.extension())
    }
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The tool and version that wrote it.
    pub tool: String,
    /// When the snapshot was finished.
    pub created: String,
    /// Where it was taken.
    pub source: SourceRef,
    /// What is inside, in counts.
    pub inventory: Inventory,
    /// Every other file with its size and SHA-256.
    pub files: Vec<FileEntry>,
}

/// The source stack and project.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceRef {
    /// The stack's id.
    pub stack_id: String,
    /// The stack's URL.
    pub stack_url: String,
    /// The project's id on that stack.
    pub project_id: u64,
    /// The project's name.
    pub project_name: String,
    /// The project's table backend.
    pub backend: String,
}

/// Counts of what a snapshot holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Inventory {
    /// Buckets.
    pub buckets: u64,
    /// Tables, aliases not counted.
    pub tables: u64,
    /// Aliases.
    pub aliases: u64,
    /// Rows of all tables.
    pub rows: u64,
    /// Uncompressed CSV bytes of all rows (headers not counted).
    pub data_bytes: u64,
    /// Compressed bytes of all chunks on disk.
    pub stored_bytes: u64,
    /// Live configurations.
    pub configurations: u64,
    /// Their rows.
    pub configuration_rows: u64,
    /// Orchestrations.
    pub orchestrations: u64,
    /// Triggers (from version 2; 0 in a version-1 snapshot).
    #[serde(default)]
    pub triggers: u64,
    /// Workspaces and BI projects.
    pub provisioned: u64,
    /// Secret values, OAuth links and SSH keys removed.
    pub secrets_removed: u64,
}

/// One file of the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative path with `/` separators.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// `project.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectDoc {
    /// The project as the source described it.
    pub project: Project,
    /// The project's own metadata.
    pub metadata: Vec<MetadataEntry>,
    /// The source stack.
    pub stack: StackRef,
}

/// What the report needs of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StackRef {
    /// Id, e.g. `eu-central`.
    pub id: String,
    /// Name for people.
    pub name: String,
    /// Region.
    pub region: String,
    /// Base URL.
    pub url: String,
    /// Addresses the stack connects out from.
    pub ip_addresses: Vec<String>,
}

impl From<&stackport_model::api::StackInfo> for StackRef {
    fn from(s: &stackport_model::api::StackInfo) -> Self {
        StackRef {
            id: s.id.clone(),
            name: s.name.clone(),
            region: s.region.clone(),
            url: s.url.clone(),
            ip_addresses: s.ip_addresses.clone(),
        }
    }
}

/// `storage/buckets.json` is a list of [`Bucket`]s with metadata.
pub type BucketsDoc = Vec<Bucket>;

/// One entry of `storage/tables.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableEntry {
    /// The table or alias, with columns, metadata and column metadata.
    pub table: Table,
    /// Its data; `None` for aliases.
    pub data: Option<TableData>,
}

/// Where a table's rows are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableData {
    /// How chunks are compressed.
    pub codec: Codec,
    /// The chunks in order.
    pub chunks: Vec<ChunkEntry>,
    /// Rows in all chunks.
    pub rows: u64,
    /// Uncompressed bytes of all rows, headers not counted.
    pub bytes: u64,
    /// SHA-256 of the rows of all chunks concatenated, headers not counted.
    pub sha256: String,
}

/// One chunk of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChunkEntry {
    /// Its file.
    pub path: String,
    /// Rows in it.
    pub rows: u64,
    /// Uncompressed bytes of its rows, header not counted.
    pub bytes: u64,
}

/// The header row every chunk of a table with `columns` starts with (the canonical form).
pub fn csv_header(columns: &[stackport_model::ColumnName]) -> Vec<u8> {
    let mut h = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(",");
    h.push('\n');
    h.into_bytes()
}

/// Chunk compression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// zstd: the default, measured faster than gzip at a similar ratio (see the format doc).
    #[default]
    Zstd,
    /// gzip, for readers that only have `zcat`.
    Gzip,
}

impl Codec {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Codec::Zstd => "zst",
            Codec::Gzip => "gz",
        }
    }
}

impl std::str::FromStr for Codec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zstd" | "zst" => Ok(Codec::Zstd),
            "gzip" | "gz" => Ok(Codec::Gzip),
            other => Err(format!("unknown codec '{other}'; use zstd or gzip")),
        }
    }
}

/// One removed secret value, OAuth link or SSH key: a line of the re-entry checklist.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemovedSecret {
    /// What it was.
    pub kind: SecretKind,
    /// The configuration's component.
    pub component_id: ComponentId,
    /// The configuration.
    pub config_id: ConfigId,
    /// The row, when the value was in one.
    pub row_id: Option<RowId>,
    /// `configuration` or `state`.
    pub document: String,
    /// The JSON path inside that document.
    pub path: String,
    /// For SSH keys: the tunnel's host, when the configuration names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_host: Option<String>,
}

/// Kinds of removed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretKind {
    /// A `#` value: password, API key, ….
    Secret,
    /// An OAuth authorization.
    Oauth,
    /// An SSH tunnel's private key.
    SshKey,
}

/// `not-moved.json`: what stays behind, so the report can list it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotMoved {
    /// Members to invite on the destination.
    pub users: Vec<UserEntry>,
    /// API tokens to create again, described (never the token or its hash).
    pub tokens: Vec<TokenEntry>,
    /// Files in Storage (counted up to 1,000).
    pub files: u64,
    /// Events (counted up to 1,000).
    pub events: u64,
    /// Jobs: runs of transformations, components and orchestrations, with their logs (counted
    /// up to 1,000). Absent in snapshots taken before stacks ran jobs.
    #[serde(default)]
    pub jobs: u64,
    /// Storage jobs: the history of asynchronous table imports, exports and deletes (counted
    /// up to 1,000). Absent in snapshots taken before stacks had them.
    #[serde(default)]
    pub storage_jobs: u64,
    /// Configuration versions (the history of live configurations).
    pub configuration_versions: u64,
    /// Configurations in the trash.
    pub trashed_configurations: Vec<TrashedConfig>,
    /// When the users or tokens could not be listed (not a master token), why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

/// A member of the source project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserEntry {
    /// E-mail.
    pub email: String,
    /// Role.
    pub role: UserRole,
    /// Invited or active.
    pub status: UserStatus,
}

/// A token of the source project, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenEntry {
    /// Its id on the source.
    pub id: TokenId,
    /// Its description.
    pub description: String,
    /// Master token.
    pub is_master_token: bool,
    /// May create and delete buckets.
    pub can_manage_buckets: bool,
    /// May manage tokens.
    pub can_manage_tokens: bool,
    /// Per-bucket rights.
    pub bucket_permissions: BTreeMap<BucketId, stackport_model::api::BucketPermission>,
    /// Components it may use; all when `None`.
    pub component_access: Option<Vec<String>>,
}

/// A configuration left in the source's trash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrashedConfig {
    /// Its component.
    pub component_id: ComponentId,
    /// Its id.
    pub config_id: ConfigId,
    /// Its name.
    pub name: String,
}

/// `orchestrations.json`.
pub type OrchestrationsDoc = Vec<Orchestration>;

/// `triggers.json`.
pub type TriggersDoc = Vec<Trigger>;

/// `provisioned.json`.
pub type ProvisionedDoc = Vec<ProvisionedResource>;
