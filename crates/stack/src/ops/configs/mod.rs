//! Component configurations: the settings of extractors, writers, applications and
//! transformations, with rows, state, versions and a trash.
//!
//! `configuration` and `state` are the component's documents: stored byte-exact as sent, except
//! that plaintext `#` values are sealed before anything is written. Every change of a
//! configuration or one of its rows makes a new version holding the whole configuration; state
//! changes (written by every run) do not.

pub(crate) mod rows;
mod versions;

use rusqlite::{params, OptionalExtension};
use serde_json::json;
use stackport_model::api::{
    ComponentConfigurations, Configuration, ConfigurationUpdate, CurrentVersion, NewConfiguration,
    RawJson, SecretStatus, TokenRef,
};
use stackport_model::{ComponentId, ConfigId, ProjectId, RowId, TokenId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::store::sqlrow::{from_json, parse_column, to_json};
use crate::store::Tx;
use crate::{secret, Stack};

/// Largest `configuration` or `state` document.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// Which parts of configurations a listing carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigInclude {
    pub configuration: bool,
    pub rows: bool,
    pub state: bool,
}

impl ConfigInclude {
    /// Everything.
    pub const ALL: ConfigInclude = ConfigInclude {
        configuration: true,
        rows: true,
        state: true,
    };
}

/// A configuration as stored, without its rows.
#[derive(Debug, Clone)]
pub(crate) struct ConfigRecord {
    pub component: ComponentId,
    pub id: ConfigId,
    pub name: String,
    pub description: String,
    pub configuration: String,
    pub state: String,
    pub is_disabled: bool,
    pub is_deleted: bool,
    pub rows_sort_order: Vec<RowId>,
    pub created: i64,
    pub creator: TokenRef,
    pub version: u64,
}

const CONFIG_COLUMNS: &str = "component_id, id, name, description, configuration, state, \
    is_disabled, is_deleted, rows_sort_order, created, creator_token_id, creator_description, version";

fn config_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConfigRecord> {
    Ok(ConfigRecord {
        component: parse_column(r, 0)?,
        id: parse_column(r, 1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        configuration: r.get(4)?,
        state: r.get(5)?,
        is_disabled: r.get(6)?,
        is_deleted: r.get(7)?,
        rows_sort_order: from_json(&r.get::<_, String>(8)?)?,
        created: r.get(9)?,
        creator: TokenRef {
            id: TokenId(r.get(10)?),
            description: r.get(11)?,
        },
        version: r.get(12)?,
    })
}

pub(crate) fn config_not_found(component: &ComponentId, id: &ConfigId) -> Error {
    Error::not_found(
        "components.configurations.notFound",
        format!("configuration {id} of component {component} not found in this project"),
    )
}

/// Loads a configuration, in the trash or not.
pub(crate) fn load_config(
    c: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    id: &ConfigId,
) -> Result<ConfigRecord> {
    c.sql().query_row(
        &format!(
            "SELECT {CONFIG_COLUMNS} FROM configs WHERE project_id = ?1 AND component_id = ?2 AND id = ?3"
        ),
        params![project.0, component.as_str(), id.as_str()],
        config_from_row,
    )
    .optional()?
    .ok_or_else(|| config_not_found(component, id))
}

/// Loads a configuration that is not in the trash (the trash is only listed, restored or purged).
pub(crate) fn load_live_config(
    c: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    id: &ConfigId,
) -> Result<ConfigRecord> {
    let config = load_config(c, project, component, id)?;
    if config.is_deleted {
        return Err(Error::not_found(
            "components.configurations.deleted",
            format!(
                "configuration {id} of component {component} is in the trash; restore it first \
                 (POST …/configs/{id}/restore)"
            ),
        ));
    }
    Ok(config)
}

/// Checks a document a caller sent: a JSON object of at most 4 MB.
impl Stack {
    /// A document as it is stored: within the size limit, its plaintext `#` values sealed.
    pub(crate) fn accept_document(
        &self,
        project: ProjectId,
        component: &ComponentId,
        doc: &RawJson,
        what: &str,
    ) -> Result<RawJson> {
        check_document(doc, what)?;
        self.check_json_depth(doc.get(), what)?;
        self.seal_document(project, component, doc)
    }
}

fn check_document(doc: &RawJson, what: &str) -> Result<()> {
    if doc.get().len() > MAX_DOCUMENT_BYTES {
        return Err(Error::new(
            crate::ErrorKind::TooLarge,
            "components.documentTooLarge",
            format!(
                "{what} has {} bytes; at most {MAX_DOCUMENT_BYTES} are allowed",
                doc.get().len()
            ),
        ));
    }
    if !doc.is_object() {
        return Err(Error::invalid(
            "components.documentNotObject",
            format!("{what} must be a JSON object such as {{}}"),
        ));
    }
    Ok(())
}

fn check_name(name: &str, what: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid(
            "components.configurations.nameRequired",
            format!("{what} needs a non-empty name"),
        ));
    }
    Ok(())
}

fn raw(text: String) -> Result<RawJson> {
    RawJson::from_string(text).map_err(|e| Error::internal("reading a stored document", e))
}

/// A new id for a configuration or row: a number as a string, like the reference platform's.
pub(crate) fn generate_id() -> String {
    use rand::Rng;
    rand::rng()
        .random_range(100_000_000u64..10_000_000_000)
        .to_string()
}

/// Time-ordered and unique: microseconds in hex, then randomness.
fn version_identifier(now: i64) -> String {
    format!("{now:014x}{}", secret::random_string(12).to_lowercase())
}

impl Stack {
    /// Builds the API form of a configuration.
    pub(crate) fn config_to_api(
        &self,
        c: &mut Tx<'_>,
        project: ProjectId,
        record: ConfigRecord,
        include: ConfigInclude,
    ) -> Result<Configuration> {
        let (version_created, version_by, change) = c.sql().query_row(
            "SELECT created, token_id, token_description, change_description, identifier FROM config_versions
             WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3 AND version = ?4",
            params![project.0, record.component.as_str(), record.id.as_str(), record.version],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    TokenRef { id: TokenId(r.get(1)?), description: r.get(2)? },
                    (r.get::<_, String>(3)?, r.get::<_, String>(4)?),
                ))
            },
        )?;
        let rows = if include.rows {
            Some(rows::load_rows(c, project, &record)?)
        } else {
            None
        };
        Ok(Configuration {
            current_version: CurrentVersion {
                created: super::time(version_created),
                creator_token: version_by,
                change_description: change.0.clone(),
                version_identifier: change.1,
            },
            change_description: change.0,
            configuration: if include.configuration {
                Some(raw(record.configuration)?)
            } else {
                None
            },
            state: if include.state {
                Some(raw(record.state)?)
            } else {
                None
            },
            id: record.id,
            name: record.name,
            description: record.description,
            created: super::time(record.created),
            creator_token: record.creator,
            version: record.version,
            is_disabled: record.is_disabled,
            is_deleted: record.is_deleted,
            rows_sort_order: record.rows_sort_order,
            rows,
        })
    }

    /// Records a new version of a configuration from what is stored now, and moves the
    /// configuration's version number to it.
    pub(crate) fn new_config_version(
        &self,
        tx: &mut Tx<'_>,
        project: ProjectId,
        component: &ComponentId,
        id: &ConfigId,
        by: &TokenRef,
        change: &str,
    ) -> Result<u64> {
        let now = super::now_micros();
        let previous: Option<u64> = tx.sql().query_row(
            "SELECT max(version) FROM config_versions WHERE project_id = ?1 AND component_id = ?2 AND config_id = ?3",
            params![project.0, component.as_str(), id.as_str()],
            |r| r.get(0),
        )?;
        let version = previous.unwrap_or(0) + 1;
        tx.sql().execute(
            "UPDATE configs SET version = ?4 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
            params![project.0, component.as_str(), id.as_str(), version],
        )?;
        let record = load_config(tx, project, component, id)?;
        let rows = rows::load_rows(tx, project, &record)?;
        let snapshot = versions::Snapshot::of(&record, rows);
        tx.sql().execute(
            "INSERT INTO config_versions (project_id, component_id, config_id, version, identifier, created,
             token_id, token_description, change_description, snapshot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                project.0,
                component.as_str(),
                id.as_str(),
                version,
                version_identifier(now),
                now,
                by.id.0,
                by.description,
                change,
                serde_json::to_string(&snapshot)?
            ],
        )?;
        Ok(version)
    }

    /// The project's configurations of one component; `deleted` lists the trash instead.
    pub fn list_configs(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        deleted: bool,
        include: ConfigInclude,
    ) -> Result<Vec<Configuration>> {
        auth.require_component(component)?;
        let project = auth.project();
        self.store.read(|c| {
            let mut stmt = c.sql().prepare(&format!(
                "SELECT {CONFIG_COLUMNS} FROM configs WHERE project_id = ?1 AND component_id = ?2
                 AND is_deleted = ?3 ORDER BY created, id"
            ))?;
            let records = stmt
                .query_map(
                    params![project.0, component.as_str(), deleted],
                    config_from_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            records
                .into_iter()
                .map(|r| self.config_to_api(c, project, r, include))
                .collect()
        })
    }

    /// Every component the project has configurations of (`GET /v2/storage/components`); with
    /// `deleted`, only those with configurations in the trash, and only those configurations.
    pub fn list_components(
        &self,
        auth: &TokenAuth,
        component_type: Option<stackport_model::api::ComponentType>,
        deleted: bool,
        include: ConfigInclude,
    ) -> Result<Vec<ComponentConfigurations>> {
        let project = auth.project();
        let components: Vec<String> = self.store.read(|c| {
            let mut stmt = c.sql().prepare(
                "SELECT DISTINCT component_id FROM configs WHERE project_id = ?1 AND is_deleted = ?2 ORDER BY component_id",
            )?;
            let rows = stmt.query_map(params![project.0, deleted], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let mut listed = Vec::new();
        for raw_id in components {
            let id: ComponentId = raw_id.parse()?;
            if auth.require_component(&id).is_err() {
                continue;
            }
            let known = self.registry.get(&id);
            let known_type = known.as_ref().map(|k| k.component_type);
            if component_type.is_some() && known_type != component_type {
                continue;
            }
            listed.push(ComponentConfigurations {
                configurations: self.list_configs(auth, &id, deleted, include)?,
                name: known.map(|k| k.name).unwrap_or_else(|| id.to_string()),
                component_type: known_type,
                id,
            });
        }
        Ok(listed)
    }

    /// One configuration (not in the trash), with rows and state.
    pub fn get_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
    ) -> Result<Configuration> {
        auth.require_component(component)?;
        self.store.read(|c| {
            let record = load_live_config(c, auth.project(), component, id)?;
            self.config_to_api(c, auth.project(), record, ConfigInclude::ALL)
        })
    }

    /// Creates a configuration of a component the stack has.
    pub fn create_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        new: &NewConfiguration,
    ) -> Result<Configuration> {
        auth.require_component(component)?;
        self.registry.require(component)?;
        check_name(&new.name, "a configuration")?;
        let project = auth.project();
        let configuration = new.configuration.clone().unwrap_or_default();
        let state = new.state.clone().unwrap_or_default();
        let configuration =
            self.accept_document(project, component, &configuration, "configuration")?;
        let state = self.accept_document(project, component, &state, "state")?;
        let by = auth.token_ref();
        let now = super::now_micros();
        let id = self.store.write(|tx| {
            let id = match &new.configuration_id {
                Some(id) => {
                    if let Ok(existing) = load_config(tx, project, component, id) {
                        return Err(Error::conflict(
                            "components.configurations.alreadyExists",
                            format!(
                                "configuration {id} of component {component} already exists{}; choose another id",
                                if existing.is_deleted { " (in the trash)" } else { "" }
                            ),
                        ));
                    }
                    id.clone()
                }
                None => loop {
                    let candidate: ConfigId = generate_id().parse()?;
                    if load_config(tx, project, component, &candidate).is_err() {
                        break candidate;
                    }
                },
            };
            tx.sql().execute(
                "INSERT INTO configs (project_id, component_id, id, name, description, configuration, state,
                 is_disabled, is_deleted, rows_sort_order, created, creator_token_id, creator_description, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, '[]', ?9, ?10, ?11, 0)",
                params![
                    project.0,
                    component.as_str(),
                    id.as_str(),
                    new.name,
                    new.description.clone().unwrap_or_default(),
                    configuration.get(),
                    state.get(),
                    new.is_disabled.unwrap_or(false),
                    now,
                    by.id.0,
                    by.description
                ],
            )?;
            let change = new
                .change_description
                .clone()
                .unwrap_or_else(|| "Configuration created".into());
            self.new_config_version(tx, project, component, &id, &by, &change)?;
            config_event(tx, project, &by, "storage.componentConfigurationCreated", "created", component, &id)?;
            Ok(id)
        })?;
        self.get_config(auth, component, &id)
    }

    /// Changes the fields given; the others stay. Makes a new version.
    pub fn update_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
        update: &ConfigurationUpdate,
    ) -> Result<Configuration> {
        auth.require_component(component)?;
        let project = auth.project();
        if let Some(name) = &update.name {
            check_name(name, "a configuration")?;
        }
        let configuration = update
            .configuration
            .as_ref()
            .map(|doc| self.accept_document(project, component, doc, "configuration"))
            .transpose()?;
        let state = update
            .state
            .as_ref()
            .map(|doc| self.accept_document(project, component, doc, "state"))
            .transpose()?;
        let by = auth.token_ref();
        self.store.write(|tx| {
            let current = load_live_config(tx, project, component, id)?;
            if let Some(order) = &update.rows_sort_order {
                rows::check_sort_order(tx, project, &current, order)?;
            }
            tx.sql().execute(
                "UPDATE configs SET name = ?4, description = ?5, configuration = ?6, state = ?7,
                 is_disabled = ?8, rows_sort_order = ?9
                 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![
                    project.0,
                    component.as_str(),
                    id.as_str(),
                    update.name.as_ref().unwrap_or(&current.name),
                    update.description.as_ref().unwrap_or(&current.description),
                    configuration
                        .as_ref()
                        .map(|d| d.get())
                        .unwrap_or(&current.configuration),
                    state.as_ref().map(|d| d.get()).unwrap_or(&current.state),
                    update.is_disabled.unwrap_or(current.is_disabled),
                    to_json(
                        update
                            .rows_sort_order
                            .as_ref()
                            .unwrap_or(&current.rows_sort_order)
                    ),
                ],
            )?;
            let change = update
                .change_description
                .clone()
                .unwrap_or_else(|| "Configuration updated".into());
            self.new_config_version(tx, project, component, id, &by, &change)?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationChanged",
                "changed",
                component,
                id,
            )
        })?;
        self.get_config(auth, component, id)
    }

    /// Replaces the state of a configuration; no new version (every run writes state).
    pub fn update_config_state(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
        state: &RawJson,
    ) -> Result<Configuration> {
        auth.require_component(component)?;
        let project = auth.project();
        let state = self.accept_document(project, component, state, "state")?;
        self.store.write(|tx| {
            load_live_config(tx, project, component, id)?;
            tx.sql().execute(
                "UPDATE configs SET state = ?4 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![project.0, component.as_str(), id.as_str(), state.get()],
            )?;
            Ok(())
        })?;
        self.get_config(auth, component, id)
    }

    /// Deletes a configuration: the first delete moves it to the trash, a delete of a trashed
    /// configuration purges it for good (master token only).
    pub fn delete_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
    ) -> Result<()> {
        auth.require_component(component)?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            let current = load_config(tx, project, component, id)?;
            if current.is_deleted {
                auth.require_master("purge a configuration from the trash")?;
                let params = params![project.0, component.as_str(), id.as_str()];
                tx.sql().execute(
                    "DELETE FROM metadata WHERE project_id = ?1 AND object_type = 'configuration' AND object_id = ?2 || '/' || ?3",
                    params,
                )?;
                tx.sql().execute(
                    "DELETE FROM configs WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                    params,
                )?;
                return config_event(tx, project, &by, "storage.componentConfigurationPurged", "purged", component, id);
            }
            tx.sql().execute(
                "UPDATE configs SET is_deleted = 1 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![project.0, component.as_str(), id.as_str()],
            )?;
            self.new_config_version(tx, project, component, id, &by, "Configuration deleted")?;
            config_event(tx, project, &by, "storage.componentConfigurationDeleted", "moved to the trash", component, id)
        })
    }

    /// Takes a configuration out of the trash, as a new version.
    pub fn restore_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
    ) -> Result<Configuration> {
        auth.require_component(component)?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            let current = load_config(tx, project, component, id)?;
            if !current.is_deleted {
                return Err(Error::invalid(
                    "components.configurations.notDeleted",
                    format!("configuration {id} of component {component} is not in the trash"),
                ));
            }
            tx.sql().execute(
                "UPDATE configs SET is_deleted = 0 WHERE project_id = ?1 AND component_id = ?2 AND id = ?3",
                params![project.0, component.as_str(), id.as_str()],
            )?;
            self.new_config_version(tx, project, component, id, &by, "Configuration restored")?;
            config_event(tx, project, &by, "storage.componentConfigurationRestored", "restored", component, id)
        })?;
        self.get_config(auth, component, id)
    }

    /// Which secrets of a configuration (and its rows) this stack can open: what has to be
    /// entered again after a move. Never the values.
    pub fn config_secrets(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
    ) -> Result<Vec<SecretStatus>> {
        let config = self.get_config(auth, component, id)?;
        let project = auth.project();
        let mut out = Vec::new();
        if let Some(doc) = &config.configuration {
            out.extend(self.secret_statuses(project, component, id, doc, "configuration.")?);
        }
        if let Some(doc) = &config.state {
            out.extend(self.secret_statuses(project, component, id, doc, "state.")?);
        }
        for row in config.rows.iter().flatten() {
            let prefix = format!("rows[{}].configuration.", row.id);
            out.extend(self.secret_statuses(
                project,
                component,
                id,
                &row.configuration,
                &prefix,
            )?);
            let prefix = format!("rows[{}].state.", row.id);
            out.extend(self.secret_statuses(project, component, id, &row.state, &prefix)?);
        }
        Ok(out)
    }
}

/// Records an event about a configuration.
pub(crate) fn config_event(
    tx: &mut Tx<'_>,
    project: ProjectId,
    by: &TokenRef,
    event: &'static str,
    what: &str,
    component: &ComponentId,
    id: &ConfigId,
) -> Result<()> {
    record(
        tx,
        project,
        Some(by),
        NewEvent {
            event,
            message: format!("Configuration {id} of {component} {what}"),
            object_type: "configuration",
            object_id: format!("{component}/{id}"),
            params: json!({ "componentId": component, "configurationId": id }),
        },
    )
}
