//! The trash: a deleted configuration is kept, listed apart and restorable, until a second
//! delete purges it for good.

use stackport_model::api::Configuration;
use stackport_model::{ComponentId, ConfigId};

use super::{config_event, key, load_config};
use crate::error::{Error, Result};
use crate::ops::auth::TokenAuth;
use crate::store::{MetadataObject, MetadataScope};
use crate::Stack;

impl Stack {
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
            let mut current = load_config(tx, project, component, id)?;
            if current.is_deleted {
                auth.require_master("purge a configuration from the trash")?;
                tx.configs().purge_config(key(project, component, id))?;
                let object = MetadataObject::Configuration(component.clone(), id.clone());
                tx.metadata()
                    .delete_metadata_of(project, MetadataScope::Object(&object))?;
                return config_event(
                    tx,
                    project,
                    &by,
                    "storage.componentConfigurationPurged",
                    "purged",
                    component,
                    id,
                );
            }
            current.is_deleted = true;
            tx.configs().update_config(project, &current)?;
            self.new_config_version(tx, project, component, id, &by, "Configuration deleted")?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationDeleted",
                "moved to the trash",
                component,
                id,
            )
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
            let mut current = load_config(tx, project, component, id)?;
            if !current.is_deleted {
                return Err(Error::invalid(
                    "components.configurations.notDeleted",
                    format!("configuration {id} of component {component} is not in the trash"),
                ));
            }
            current.is_deleted = false;
            tx.configs().update_config(project, &current)?;
            self.new_config_version(tx, project, component, id, &by, "Configuration restored")?;
            config_event(
                tx,
                project,
                &by,
                "storage.componentConfigurationRestored",
                "restored",
                component,
                id,
            )
        })?;
        self.get_config(auth, component, id)
    }
}
