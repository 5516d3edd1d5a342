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
    pub database: String,
    pub schema: String,
    pub user: String,
    /// The password in plain text, in the create answer only: the stack keeps it sealed, and,
    /// as on the reference platform, the creator reads it once (scripts connect with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The password sealed for the component's configuration (or project-wide), in every
    /// answer: what a configuration stores as its `#password`.
    #[serde(rename = "#password")]
    pub sealed_password: String,
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
    /// The component of the configuration it is for, spelled `component` as the reference does.
    #[serde(
        rename = "component",
        alias = "componentId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub component_id: Option<ComponentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_id: Option<ConfigId>,
    pub connection: WorkspaceConnection,
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
