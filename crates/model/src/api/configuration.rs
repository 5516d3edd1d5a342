use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::json::RawJson;
use super::token::TokenRef;
use crate::ids::{ComponentId, ConfigId, RowId};
use crate::time::{serde_rfc3339, Timestamp};

/// The latest version of a configuration, as shown on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentVersion {
    /// When that version was made.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// Who made it.
    pub creator_token: TokenRef,
    /// Why.
    pub change_description: String,
    /// A unique id of the version, stable across renumbering.
    pub version_identifier: String,
}

/// A configuration of a component. `configuration`, `state` and `rows` are left out of lists
/// that did not ask for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    /// A string, chosen by the caller or the stack.
    pub id: ConfigId,
    /// A name for people.
    pub name: String,
    /// A description for people.
    pub description: String,
    /// When it was created (on this stack: a migrated configuration gets the migration's time).
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// Who created it.
    pub creator_token: TokenRef,
    /// The current version number, starting at 1.
    pub version: u64,
    /// Why the current version was made.
    pub change_description: String,
    /// Details of the current version.
    pub current_version: CurrentVersion,
    /// A disabled configuration is not run by orchestrations.
    pub is_disabled: bool,
    /// In the trash.
    pub is_deleted: bool,
    /// The component's settings, byte-exact as last saved (secrets sealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<RawJson>,
    /// What the component remembers between runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RawJson>,
    /// The order rows run in.
    pub rows_sort_order: Vec<RowId>,
    /// The rows, in `rowsSortOrder` order, then the others by creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<ConfigRow>>,
}

/// A row: a part of a configuration the component runs once each, e.g. one table of an extractor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRow {
    /// A string, chosen by the caller or the stack.
    pub id: RowId,
    /// A name for people.
    pub name: String,
    /// A description for people.
    pub description: String,
    /// The row's settings, merged over the configuration's when run.
    pub configuration: RawJson,
    /// What the component remembers for this row.
    pub state: RawJson,
    /// A disabled row is skipped.
    pub is_disabled: bool,
    /// The row's own version number.
    pub version: u64,
    /// When it was created.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// Who created it.
    pub creator_token: TokenRef,
    /// Why its current version was made.
    pub change_description: String,
}

/// Body of `POST …/configs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", from = "NewConfigurationBody")]
pub struct NewConfiguration {
    /// Required.
    pub name: String,
    /// The id to use; the stack picks one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_id: Option<ConfigId>,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The settings; `{}` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<RawJson>,
    /// The state; `{}` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RawJson>,
    /// Why it is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_description: Option<String>,
    /// Created disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_disabled: Option<bool>,
}

/// What `POST …/configs` reads: [`NewConfiguration`] and the fields the reference platform
/// documents that the stack accepts and ignores.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
struct NewConfigurationBody {
    /// Required.
    name: String,
    /// The id to use; the stack picks one when left out.
    #[serde(default)]
    configuration_id: Option<ConfigId>,
    /// A description.
    #[serde(default)]
    description: Option<String>,
    /// The settings; `{}` when left out.
    #[serde(default)]
    configuration: Option<RawJson>,
    /// The state; `{}` when left out.
    #[serde(default)]
    state: Option<RawJson>,
    /// Why it is created.
    #[serde(default)]
    change_description: Option<String>,
    /// Created disabled.
    #[serde(default)]
    is_disabled: Option<bool>,
    /// Accepted and ignored: a stack has only the default branch, which the path names.
    #[serde(default)]
    branch_id: Option<serde_json::Value>,
}

impl From<NewConfigurationBody> for NewConfiguration {
    fn from(body: NewConfigurationBody) -> Self {
        let NewConfigurationBody {
            name,
            configuration_id,
            description,
            configuration,
            state,
            change_description,
            is_disabled,
            branch_id: _,
        } = body;
        NewConfiguration {
            name,
            configuration_id,
            description,
            configuration,
            state,
            change_description,
            is_disabled,
        }
    }
}

/// Body of `PUT …/configs/{id}`: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigurationUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_disabled: Option<bool>,
    /// Must list every row id exactly once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_sort_order: Option<Vec<RowId>>,
}

/// Body of `POST …/rows`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRow {
    /// The id to use; the stack picks one when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<RowId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_description: Option<String>,
}

/// Body of `PUT …/rows/{id}`: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RowUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_description: Option<String>,
}

/// Body of `PUT …/state`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateUpdate {
    pub state: RawJson,
}

/// One version of a configuration: the whole configuration, rows included, as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigVersion {
    /// 1, 2, 3, …
    pub version: u64,
    /// A unique id of the version.
    pub version_identifier: String,
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    pub creator_token: TokenRef,
    pub change_description: String,
    /// Whether this version put the configuration in the trash.
    pub is_deleted: bool,
    pub name: String,
    pub description: String,
    /// Left out of lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<RawJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<ConfigRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_sort_order: Option<Vec<RowId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_disabled: Option<bool>,
}

/// Body of `POST …/versions/{v}/rollback`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rollback {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_description: Option<String>,
}

/// A component with the project's configurations of it (`GET /v2/storage/components`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentConfigurations {
    pub id: ComponentId,
    /// The component's own URL on the stack it was read from
    /// (`GET /v2/storage/components/{id}`).
    #[serde(default)]
    pub uri: String,
    /// Null for a component this stack's registry no longer has.
    #[serde(rename = "type")]
    pub component_type: Option<super::component::ComponentType>,
    pub name: String,
    pub configurations: Vec<Configuration>,
}
