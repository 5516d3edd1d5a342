//! Component configurations: the settings of extractors, writers, applications and
//! transformations, with rows, state, versions and a trash.
//!
//! `configuration` and `state` are the component's documents: stored byte-exact as sent, except
//! that plaintext `#` values are sealed before anything is written. Every change of a
//! configuration or one of its rows makes a new version holding the whole configuration; state
//! changes (written by every run) do not.

mod documents;
pub(crate) mod rows;
mod secrets;
mod trash;
mod versions;

use serde_json::json;
use stackport_model::api::{
    ComponentConfigurations, Configuration, ConfigurationUpdate, CurrentVersion, NewConfiguration,
    RawJson, TokenRef,
};
use stackport_model::{ComponentId, ConfigId, ProjectId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::store::{ConfigKey, ConfigRecord, NewConfigRecord, NewConfigVersion, Tx};
use crate::{secret, Stack};
pub use documents::MAX_DOCUMENT_BYTES;
use documents::{check_name, raw};

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

/// The store's key of a configuration.
pub(crate) fn key<'a>(
    project: ProjectId,
    component: &'a ComponentId,
    id: &'a ConfigId,
) -> ConfigKey<'a> {
    ConfigKey {
        project,
        component,
        id,
    }
}

pub(crate) fn config_not_found(component: &ComponentId, id: &ConfigId) -> Error {
    Error::not_found(
        "components.configurations.notFound",
        format!("configuration {id} of component {component} not found in this project"),
    )
}

/// Loads a configuration, in the trash or not.
pub(crate) fn load_config(
    tx: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    id: &ConfigId,
) -> Result<ConfigRecord> {
    tx.configs()
        .get_config(key(project, component, id))?
        .ok_or_else(|| config_not_found(component, id))
}

/// Loads a configuration that is not in the trash (the trash is only listed, restored or purged).
pub(crate) fn load_live_config(
    tx: &mut Tx<'_>,
    project: ProjectId,
    component: &ComponentId,
    id: &ConfigId,
) -> Result<ConfigRecord> {
    let config = load_config(tx, project, component, id)?;
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
        tx: &mut Tx<'_>,
        project: ProjectId,
        record: ConfigRecord,
        include: ConfigInclude,
    ) -> Result<Configuration> {
        let k = key(project, &record.component, &record.id);
        let head = tx
            .configs()
            .config_version_head(k, record.version)?
            .ok_or_else(|| {
                Error::internal(
                    "reading a configuration's current version",
                    format!(
                        "configuration {} of {} has no version {}",
                        record.id, record.component, record.version
                    ),
                )
            })?;
        let rows = if include.rows {
            Some(rows::load_rows(tx, project, &record)?)
        } else {
            None
        };
        Ok(Configuration {
            current_version: CurrentVersion {
                created: super::time(head.created_micros),
                creator_token: head.creator,
                change_description: head.change_description.clone(),
                version_identifier: head.identifier,
            },
            change_description: head.change_description,
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
        let now = tx.now_micros();
        let record = load_config(tx, project, component, id)?;
        let rows = rows::load_rows(tx, project, &record)?;
        let snapshot = versions::snapshot_of(&record, rows);
        tx.configs().insert_config_version(
            key(project, component, id),
            &NewConfigVersion {
                identifier: &version_identifier(now),
                created_micros: now,
                creator: by,
                change_description: change,
                snapshot: &snapshot,
            },
        )
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
        let known = self.registry.get(component).is_some();
        self.store.read(|tx| {
            // A component the registry does not know is refused, as the reference refuses it,
            // unless the project still has configurations of it (one since dropped from the
            // registry), which stay listable so that they can be read and moved.
            if !known
                && !tx
                    .configs()
                    .components_with_configs(project, false)?
                    .contains(component)
                && !tx
                    .configs()
                    .components_with_configs(project, true)?
                    .contains(component)
            {
                return Err(Error::not_found(
                    "components.notFound",
                    format!(
                        "component {component} not found: this stack's registry has no such                          component (GET /manage/components lists the ones it has)"
                    ),
                ));
            }
            let records = tx.configs().list_configs(project, component, deleted)?;
            records
                .into_iter()
                .map(|r| self.config_to_api(tx, project, r, include))
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
        let components = self
            .store
            .read(|tx| tx.configs().components_with_configs(project, deleted))?;
        let mut listed = Vec::new();
        for id in components {
            if auth.require_component(&id).is_err() {
                continue;
            }
            let known = self.registry.get(&id);
            let known_type = known.as_ref().map(|k| k.component_type);
            if component_type.is_some() && known_type != component_type {
                continue;
            }
            listed.push(self.component_configurations(auth, id, deleted, include)?);
        }
        Ok(listed)
    }

    /// One component with the project's configurations of it
    /// (`GET /v2/storage/components/{id}`); 404 for one the stack does not know.
    pub fn get_component(
        &self,
        auth: &TokenAuth,
        id: &ComponentId,
        include: ConfigInclude,
    ) -> Result<ComponentConfigurations> {
        self.component_configurations(auth, id.clone(), false, include)
    }

    fn component_configurations(
        &self,
        auth: &TokenAuth,
        id: ComponentId,
        deleted: bool,
        include: ConfigInclude,
    ) -> Result<ComponentConfigurations> {
        let configurations = self.list_configs(auth, &id, deleted, include)?;
        let known = self.registry.get(&id);
        Ok(ComponentConfigurations {
            uri: self.storage_url(&format!("components/{id}")),
            configurations,
            name: known
                .as_ref()
                .map(|k| k.name.clone())
                .unwrap_or_else(|| id.to_string()),
            component_type: known.map(|k| k.component_type),
            id,
        })
    }

    /// One configuration (not in the trash), with rows and state.
    pub fn get_config(
        &self,
        auth: &TokenAuth,
        component: &ComponentId,
        id: &ConfigId,
    ) -> Result<Configuration> {
        auth.require_component(component)?;
        self.store.read(|tx| {
            let record = load_live_config(tx, auth.project(), component, id)?;
            self.config_to_api(tx, auth.project(), record, ConfigInclude::ALL)
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
        let id = self.store.write(|tx| {
            let id = match &new.configuration_id {
                Some(id) => {
                    if let Some(existing) = tx.configs().get_config(key(project, component, id))? {
                        return Err(Error::conflict(
                            "components.configurations.alreadyExists",
                            format!(
                                "configuration {id} of component {component} already exists{}; \
                                 choose another id",
                                if existing.is_deleted {
                                    " (in the trash)"
                                } else {
                                    ""
                                }
                            ),
                        ));
                    }
                    id.clone()
                }
                None => loop {
                    let candidate: ConfigId = generate_id().parse()?;
                    let k = key(project, component, &candidate);
                    if tx.configs().get_config(k)?.is_none() {
                        break candidate;
                    }
                },
            };
            let now = tx.now_micros();
            tx.configs().insert_config(
                project,
                &NewConfigRecord {
                    component,
                    id: &id,
                    name: &new.name,
                    description: new.description.as_deref().unwrap_or_default(),
                    configuration: configuration.get(),
                    state: state.get(),
                    is_disabled: new.is_disabled.unwrap_or(false),
                    created_micros: now,
                    creator: &by,
                },
            )?;
            let change = new
                .change_description
                .clone()
                .unwrap_or_else(|| "Configuration created".into());
            self.new_config_version(tx, project, component, &id, &by, &change)?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationCreated",
                "created",
                component,
                &id,
            )?;
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
            let mut current = load_live_config(tx, project, component, id)?;
            if let Some(order) = &update.rows_sort_order {
                let rows = tx.configs().list_rows(key(project, component, id))?;
                rows::check_sort_order(&current.id, &rows, order)?;
                current.rows_sort_order = order.clone();
            }
            if let Some(name) = &update.name {
                current.name = name.clone();
            }
            if let Some(description) = &update.description {
                current.description = description.clone();
            }
            if let Some(doc) = configuration {
                current.configuration = doc.get().to_string();
            }
            if let Some(doc) = state {
                current.state = doc.get().to_string();
            }
            if let Some(disabled) = update.is_disabled {
                current.is_disabled = disabled;
            }
            tx.configs().update_config(project, &current)?;
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
            let mut current = load_live_config(tx, project, component, id)?;
            current.state = state.get().to_string();
            tx.configs().update_config(project, &current)?;
            Ok(())
        })?;
        self.get_config(auth, component, id)
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
