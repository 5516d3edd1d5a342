use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::component::Provision;
use super::token::TokenRef;
use crate::ids::{ComponentId, ConfigId, WorkspaceId};
use crate::time::{serde_rfc3339, Timestamp};

/// How to reach a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceConnection {
    pub backend: String,
    pub host: String,
    /// The server's TCP port, for a workspace on a database server (`postgresql`); none for
    /// a SQLite workspace, a file reached through the stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub database: String,
    pub schema: String,
    pub user: String,
    /// How the user logs in: `default` (user and password) is the one kind a SQLite
    /// workspace has.
    #[serde(default = "default_login_type")]
    pub login_type: String,
    /// The password in plain text, in the create answer only: the stack keeps it sealed, and,
    /// as on the reference platform, the creator reads it once (scripts connect with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The password sealed for the component's configuration (or project-wide), in every
    /// answer: what a configuration stores as its `#password`.
    #[serde(rename = "#password")]
    pub sealed_password: String,
}

/// The login type of every workspace the stack provisions.
pub const DEFAULT_LOGIN_TYPE: &str = "default";

fn default_login_type() -> String {
    DEFAULT_LOGIN_TYPE.to_string()
}

/// What the reference platform calls a workspace of tables (its other kind holds files).
pub const TABLE_WORKSPACE: &str = "table";

fn table_workspace() -> String {
    TABLE_WORKSPACE.to_string()
}

/// A SQL workspace the stack provisioned in its own backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: WorkspaceId,
    /// The workspace's name: its schema, as the reference names a workspace by its schema.
    #[serde(default)]
    pub name: String,
    /// Always `table`.
    #[serde(rename = "type", default = "table_workspace")]
    pub workspace_type: String,
    /// The component of the configuration it is for, spelled `component` as the reference does;
    /// null (not left out, as the reference answers) for a workspace of no configuration.
    #[serde(rename = "component", alias = "componentId", default)]
    pub component_id: Option<ComponentId>,
    #[serde(default)]
    pub configuration_id: Option<ConfigId>,
    pub connection: WorkspaceConnection,
    /// As asked at create; kept and shown (a SQLite workspace's queries are not cut short).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_timeout_seconds: Option<u64>,
    /// As asked at create: whether the workspace was to read all of the project's storage.
    #[serde(default)]
    pub read_only_storage_access: bool,
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    pub creator_token: TokenRef,
}

/// Body of `POST /v2/storage/workspaces`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWorkspace {
    /// With `configurationId`: the configuration the workspace is for. For a stack-provisioned
    /// writer its `parameters.db` is pointed at the workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<ComponentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_id: Option<ConfigId>,
    /// The backend; the project's own (`owner.defaultBackend` of token verify) is the only
    /// one the stack provisions workspaces in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// Kept and shown; SQLite does not cut statements short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_timeout_seconds: Option<u64>,
    /// `default` is the only login type of a SQLite workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_type: Option<String>,
    /// A PEM public key (`-----BEGIN PUBLIC KEY-----`) kept for the workspace's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// kbcstorage sends it as the string `true` or `false`.
    #[serde(
        default,
        deserialize_with = "super::loose_bool::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<bool>")]
    pub read_only_storage_access: Option<bool>,
}

/// Answer of `POST /v2/storage/workspaces/{id}/password`: the new password, shown only here
/// (the stack keeps it sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspacePassword {
    pub password: String,
}

/// Body of `POST /v2/storage/workspaces/{id}/public-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspacePublicKey {
    /// PEM-encoded public key.
    pub public_key: String,
}

/// Body of `POST /v2/storage/workspaces/{id}/load` (and `load-clone`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceLoadRequest {
    /// The tables to load, in order.
    #[serde(default)]
    pub input: Vec<WorkspaceLoadInput>,
    /// Keep what the workspace holds (the default); `false` drops its tables first.
    /// kbcstorage sends the string `true` or `false`, in JSON too.
    #[serde(
        default,
        deserialize_with = "super::loose_bool::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<bool>")]
    pub preserve: Option<bool>,
}

/// One table of a workspace load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceLoadInput {
    /// The Storage table (`in.c-bucket.table`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A file id: what kbcstorage's `load_files` sends, for file workspaces the stack has not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_file_id: Option<serde_json::Value>,
    /// The table's name in the workspace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Only these columns, in this order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// At most this many rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Append to the destination table instead of replacing it.
    #[serde(
        default,
        deserialize_with = "super::loose_bool::deserialize",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<bool>")]
    pub incremental: Option<bool>,
    /// Rows changed since this time (as a table export takes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_since: Option<String>,
}

/// Answer of a workspace load: done when answered (the stack loads synchronously).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceLoad {
    /// Always `success`: a load that fails answers an error instead.
    pub status: String,
    /// `workspaceLoad` or `workspaceLoadClone`, as the reference names the job.
    pub operation_name: String,
    pub results: WorkspaceLoadResults,
}

/// What a workspace load did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceLoadResults {
    pub workspace_id: WorkspaceId,
    pub tables: Vec<LoadedTable>,
}

/// One table a load wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadedTable {
    pub source: String,
    pub destination: String,
    pub rows: u64,
}

/// A project in the stack's BI account, provisioned for a BI writer configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BiProject {
    /// The BI project's id in the account.
    pub id: String,
    pub name: String,
    /// The stack's BI account that owns it.
    pub account: String,
    pub component_id: ComponentId,
    pub configuration_id: ConfigId,
    pub login: String,
    #[serde(rename = "#password")]
    pub password: String,
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
}

/// Body of `POST /v2/storage/bi-projects`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewBiProject {
    pub component_id: ComponentId,
    pub configuration_id: ConfigId,
    /// The configuration's name when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One resource the stack provisioned for a project (`GET /v2/storage/provisioned`): what a
/// migration has to provision again on the destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedResource {
    #[serde(rename = "type")]
    pub kind: Provision,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<ComponentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_id: Option<ConfigId>,
    /// The stack account it lives in (the stack's backend, or its BI account).
    pub account: String,
    pub name: String,
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
}
