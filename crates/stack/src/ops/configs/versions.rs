//! Versions of configurations: list, read, roll back.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use stackport_model::api::{ConfigRow, ConfigVersion, RawJson, TokenRef};
use stackport_model::{ComponentId, ConfigId, ProjectId, RowId, TokenId};

use super::{config_event, load_live_config, ConfigRecord};
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::store::sqlrow::to_json;
use crate::store::Tx;
use crate::Stack;

/// What a version stores: the configuration with its rows, as it was. Documents are embedded
/// raw, so they come back byte for byte.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Snapshot {
    name: String,
    description: String,
    configuration: RawJson,
    state: RawJson,
    is_disabled: bool,
    is_deleted: bool,
    rows_sort_order: Vec<RowId>,
    rows: Vec<ConfigRow>,
}

impl Snapshot {
    pub(crate) fn of(record: &ConfigRecord, rows: Vec<ConfigRow>) -> Self {
        Snapshot {
            name: record.name.clone(),
            description: record.description.clone(),
            configuration: RawJson::from_string(record.configuration.clone()).unwrap_or_default(),
            state: RawJson::from_string(record.state.clone()).unwrap_or_default(),
            is_disabled: record.is_disabled,
            is_deleted: record.is_deleted,
            rows_sort_order: record.rows_sort_order.clone(),
            rows,
        }
    }
}

struct VersionRow {
    version: u64,
    identifier: String,
    created: i64,
    by: TokenRef,
    change: String,
    snapshot: Snapshot,
}

fn load_versions(
    c: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    id: &ConfigId,
    only: Option<u64>,
) -> Result<Vec<VersionRow>> {
    let mut stmt = c.sql().prepare(
        "SELECT version, identifier, created, token_id, token_description, change_description, snapshot
         FROM config_versions WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3
         AND (?4 IS NULL OR version = ?4) ORDER BY version DESC",
    )?;
    let rows = stmt.query_map(
        params![project.0, component.as_str(), id.as_str(), only],
        |r| {
            Ok((
                r.get::<_, u64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                TokenRef {
                    id: TokenId(r.get(3)?),
                    description: r.get(4)?,
                },
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        },
    )?;
    rows.map(|row| {
        let (version, identifier, created, by, change, snapshot) = row?;
        Ok(VersionRow {
            version,
            identifier,
            created,
            by,
            change,
            snapshot: serde_json::from_str(&snapshot)?,
        })
    })
    .collect()
}

fn to_api(v: VersionRow, full: bool) -> ConfigVersion {
    let s = v.snapshot;
    ConfigVersion {
        version: v.version,
        version_identifier: v.identifier,
        created: crate::ops::time(v.created),
        creator_token: v.by,
        change_description: v.change,
        is_deleted: s.is_deleted,
        name: s.name,
        description: s.description,
        configuration: full.then_some(s.configuration),
        state: full.then_some(s.state),
        rows: full.then_some(s.rows),
        rows_sort_order: full.then_some(s.rows_sort_order),
        is_disabled: full.then_some(s.is_disabled),
    }
}

fn version_not_found(component: &ComponentId, id: &ConfigId, version: u64) -> Error {
    Error::not_found(
        "components.configurations.versionNotFound",
        format!("configuration {id} of component {component} has no version {version}"),
    )
}

impl Stack {
    /// The versions of a configuration, newest first, without their documents.
    pub fn list_config_versions(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
    ) -> Result<Vec<ConfigVersion>> {
        auth.require_component(component)?;
        self.store.read(|c| {
            super::load_config(c, auth.project(), component, id)?;
            Ok(load_versions(c, auth.project(), component, id, None)?
                .into_iter()
                .map(|v| to_api(v, false))
                .collect())
        })
    }

    /// One version with its documents and rows.
    pub fn get_config_version(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
        version: u64,
    ) -> Result<ConfigVersion> {
        auth.require_component(component)?;
        self.store.read(|c| {
            super::load_config(c, auth.project(), component, id)?;
            load_versions(c, auth.project(), component, id, Some(version))?
                .pop()
                .map(|v| to_api(v, true))
                .ok_or_else(|| version_not_found(component, id, version))
        })
    }

    /// Makes the configuration and its rows what they were in `version`, as a new version.
    /// The state stays as it is: it belongs to runs, not to the settings.
    pub fn rollback_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
        version: u64,
        change: Option<&str>,
    ) -> Result<stackport_model::api::Configuration> {
        auth.require_component(component)?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            load_live_config(tx, project, component, id)?;
            let old = load_versions(tx, project, component, id, Some(version))?
                .pop()
                .ok_or_else(|| version_not_found(component, id, version))?
                .snapshot;
            let key = params![project.0, component.as_str(), id.as_str()];
            tx.sql().execute(
                "UPDATE configs SET name = ?4, description = ?5, configuration = ?6, is_disabled = ?7,
                 rows_sort_order = ?8 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![
                    project.0,
                    component.as_str(),
                    id.as_str(),
                    old.name,
                    old.description,
                    old.configuration.get(),
                    old.is_disabled,
                    to_json(&old.rows_sort_order)
                ],
            )?;
            // Rows keep their state when they survive the rollback.
            let states: Vec<(String, String)> = {
                let mut stmt = tx.sql().prepare(
                    "SELECT id, state FROM config_rows WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
                )?;
                let rows = stmt.query_map(key, |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            };
            tx.sql().execute(
                "DELETE FROM config_rows WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
                key,
            )?;
            for (position, row) in old.rows.iter().enumerate() {
                let state = states
                    .iter()
                    .find(|(rid, _)| rid == row.id.as_str())
                    .map(|(_, s)| s.clone())
                    .unwrap_or_else(|| row.state.get().to_string());
                super::rows::insert_row(tx, project, component, id, position as i64, row, &state)?;
            }
            let change = change
                .map(str::to_string)
                .unwrap_or_else(|| format!("Rollback to version {version}"));
            self.new_config_version(tx, project, component, id, &by, &change)?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationRolledBack",
                &format!("rolled back to version {version}"),
                component,
                id,
            )
        })?;
        self.get_config(auth, component, id)
    }
}
