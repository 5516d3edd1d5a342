//! Component configurations with rows, state, versions and the trash.
//!
//! Documents (`configuration`, `state`, and those of rows and versions) cross this trait as the
//! exact text the rules accepted, their `#` values already sealed: a store keeps them byte for
//! byte and never looks inside, so no store ever holds or hands out a plaintext secret.

use serde::{Deserialize, Serialize};
use stackport_model::api::{ConfigRow, RawJson, TokenRef};
use stackport_model::{ComponentId, ConfigId, ProjectId, RowId};

use crate::error::Result;

/// A configuration as stored, without its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRecord {
    pub component: ComponentId,
    pub id: ConfigId,
    pub name: String,
    pub description: String,
    /// The document's text, sealed.
    pub configuration: String,
    /// The document's text, sealed.
    pub state: String,
    pub is_disabled: bool,
    /// In the trash.
    pub is_deleted: bool,
    pub rows_sort_order: Vec<RowId>,
    pub created: i64,
    pub creator: TokenRef,
    /// The current version; 0 until the first version is inserted.
    pub version: u64,
}

/// A configuration to insert: not in the trash, no rows, no sort order, no version yet.
#[derive(Debug, Clone)]
pub struct NewConfigRecord<'a> {
    pub component: &'a ComponentId,
    pub id: &'a ConfigId,
    pub name: &'a str,
    pub description: &'a str,
    pub configuration: &'a str,
    pub state: &'a str,
    pub is_disabled: bool,
    pub created_micros: i64,
    pub creator: &'a TokenRef,
}

/// Which configuration: the key every method below is addressed by.
#[derive(Debug, Clone, Copy)]
pub struct ConfigKey<'a> {
    pub project: ProjectId,
    pub component: &'a ComponentId,
    pub id: &'a ConfigId,
}

/// What a version keeps: the configuration with its rows, as it was. Documents are embedded
/// raw, so they come back byte for byte (from their first to their last bracket: whitespace
/// around a document is not part of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSnapshot {
    pub name: String,
    pub description: String,
    pub configuration: RawJson,
    pub state: RawJson,
    pub is_disabled: bool,
    pub is_deleted: bool,
    pub rows_sort_order: Vec<RowId>,
    pub rows: Vec<ConfigRow>,
}

/// Who made a version, when and why: what a configuration shows of its current version.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigVersionHead {
    pub version: u64,
    /// Unique and time-ordered, made by the rules.
    pub identifier: String,
    pub created_micros: i64,
    pub creator: TokenRef,
    pub change_description: String,
}

/// A version with what it keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigVersionRecord {
    pub head: ConfigVersionHead,
    pub snapshot: ConfigSnapshot,
}

/// A version to append; the store numbers it.
#[derive(Debug, Clone)]
pub struct NewConfigVersion<'a> {
    pub identifier: &'a str,
    pub created_micros: i64,
    pub creator: &'a TokenRef,
    pub change_description: &'a str,
    pub snapshot: &'a ConfigSnapshot,
}

/// Component configurations with rows, state, versions and the trash.
///
/// Ids are unique per project and component and compared exactly as written (`Main` and
/// `main` are two configurations); the same holds for a configuration's rows.
pub trait ConfigStore {
    /// Inserts a configuration; refuses one whose id its component has already (in the trash
    /// or not). The rules check first, to name the conflict.
    fn insert_config(&mut self, project: ProjectId, new: &NewConfigRecord<'_>) -> Result<()>;
    /// The configuration, in the trash or not.
    fn get_config(&mut self, key: ConfigKey<'_>) -> Result<Option<ConfigRecord>>;
    /// A component's configurations, by creation time then id (byte by byte): those in the trash if
    /// `deleted`, else the others.
    fn list_configs(
        &mut self,
        project: ProjectId,
        component: &ComponentId,
        deleted: bool,
    ) -> Result<Vec<ConfigRecord>>;
    /// The components that have configurations (in the trash if `deleted`, else not), by id
    /// compared byte by byte.
    fn components_with_configs(
        &mut self,
        project: ProjectId,
        deleted: bool,
    ) -> Result<Vec<ComponentId>>;
    /// Saves what may change of a configuration: name, description, configuration, state,
    /// `is_disabled`, `is_deleted` (the trash) and `rows_sort_order`. Its key, creation and
    /// version stay (versions move only by [`ConfigStore::insert_config_version`]). Returns
    /// whether it exists.
    fn update_config(&mut self, project: ProjectId, record: &ConfigRecord) -> Result<bool>;
    /// Deletes a configuration for good, with its rows and versions (the metadata entries on it
    /// are the rules' to delete, through [`super::MetadataEntries`]). Returns whether it existed.
    fn purge_config(&mut self, key: ConfigKey<'_>) -> Result<bool>;

    /// A configuration's rows, in the order they were inserted.
    fn list_rows(&mut self, key: ConfigKey<'_>) -> Result<Vec<ConfigRow>>;
    /// One row of a configuration.
    fn get_row(&mut self, key: ConfigKey<'_>, row: &RowId) -> Result<Option<ConfigRow>>;
    /// Appends a row (with its state) after the configuration's other rows; refuses an id the
    /// configuration has already, and a configuration that does not exist.
    fn insert_row(&mut self, key: ConfigKey<'_>, row: &ConfigRow) -> Result<()>;
    /// Saves what may change of a row: name, description, configuration, state,
    /// `is_disabled`, version and change description; it keeps its place and creation.
    /// Returns whether it exists.
    fn update_row(&mut self, key: ConfigKey<'_>, row: &ConfigRow) -> Result<bool>;
    /// Deletes a row; the others keep their order. Returns whether it existed.
    fn delete_row(&mut self, key: ConfigKey<'_>, row: &RowId) -> Result<bool>;
    /// Replaces all rows of a configuration with `rows`, in that order.
    fn replace_rows(&mut self, key: ConfigKey<'_>, rows: &[ConfigRow]) -> Result<()>;

    /// Appends a version numbered one more than the configuration's last (1 for its first),
    /// makes it the configuration's current version, and returns its number.
    fn insert_config_version(
        &mut self,
        key: ConfigKey<'_>,
        new: &NewConfigVersion<'_>,
    ) -> Result<u64>;
    /// Who made a version, when and why, without what it keeps.
    fn config_version_head(
        &mut self,
        key: ConfigKey<'_>,
        version: u64,
    ) -> Result<Option<ConfigVersionHead>>;
    /// One version with what it keeps.
    fn get_config_version(
        &mut self,
        key: ConfigKey<'_>,
        version: u64,
    ) -> Result<Option<ConfigVersionRecord>>;
    /// Every version of a configuration, newest first.
    fn list_config_versions(&mut self, key: ConfigKey<'_>) -> Result<Vec<ConfigVersionRecord>>;
}
