//! Components, configurations, rows, versions and encryption.

use reqwest::Method;
use stackport_model::api::query::{ComponentListQuery, ConfigListQuery, EncryptQuery, Query};
use stackport_model::api::*;
use stackport_model::{ComponentId, ConfigId, MetadataId, ProjectId, RowId};

use crate::{Client, ClientError, Result};

fn config_path(component: &ComponentId, config: &ConfigId) -> String {
    format!("/v2/storage/components/{component}/configs/{config}")
}

impl Client {
    /// The stack's component registry (manage token).
    pub async fn manage_components(&self) -> Result<Vec<Component>> {
        self.get("/manage/components").await
    }

    /// Replaces the stack's component registry (manage token).
    pub async fn replace_components(&self, components: &[Component]) -> Result<Vec<Component>> {
        self.put("/manage/components", &components).await
    }

    /// Components the project has configurations of; `include` as in the API
    /// (`configuration,rows,state`), `deleted` lists the trash.
    pub async fn list_components(
        &self,
        include: &str,
        deleted: bool,
    ) -> Result<Vec<ComponentConfigurations>> {
        self.json(
            self.request(Method::GET, "/v2/storage/components")?.query(
                &ComponentListQuery {
                    include: Some(vec![include.to_string()]),
                    is_deleted: deleted,
                    ..ComponentListQuery::default()
                }
                .to_pairs(),
            ),
        )
        .await
    }

    /// Configurations of a component, complete.
    pub async fn list_configs(&self, component: &ComponentId) -> Result<Vec<Configuration>> {
        self.get(&format!("/v2/storage/components/{component}/configs"))
            .await
    }

    /// Configurations of a component with only the parts `include` names.
    pub async fn list_configs_with(
        &self,
        component: &ComponentId,
        include: &str,
    ) -> Result<Vec<Configuration>> {
        self.json(
            self.request(
                Method::GET,
                &format!("/v2/storage/components/{component}/configs"),
            )?
            .query(
                &ConfigListQuery {
                    include: Some(vec![include.to_string()]),
                    ..ConfigListQuery::default()
                }
                .to_pairs(),
            ),
        )
        .await
    }

    /// Configurations of a component in the trash.
    pub async fn list_deleted_configs(
        &self,
        component: &ComponentId,
    ) -> Result<Vec<Configuration>> {
        self.json(
            self.request(
                Method::GET,
                &format!("/v2/storage/components/{component}/configs"),
            )?
            .query(
                &ConfigListQuery {
                    is_deleted: true,
                    ..ConfigListQuery::default()
                }
                .to_pairs(),
            ),
        )
        .await
    }

    /// Creates a configuration.
    pub async fn create_config(
        &self,
        component: &ComponentId,
        new: &NewConfiguration,
    ) -> Result<Configuration> {
        self.post(&format!("/v2/storage/components/{component}/configs"), new)
            .await
    }

    /// One configuration with rows and state.
    pub async fn get_config(
        &self,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Configuration> {
        self.get(&config_path(component, config)).await
    }

    /// Changes a configuration.
    pub async fn update_config(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        update: &ConfigurationUpdate,
    ) -> Result<Configuration> {
        self.put(&config_path(component, config), update).await
    }

    /// Moves a configuration to the trash, or purges one already there.
    pub async fn delete_config(&self, component: &ComponentId, config: &ConfigId) -> Result<()> {
        self.delete(&config_path(component, config), &[]).await
    }

    /// Takes a configuration out of the trash.
    pub async fn restore_config(
        &self,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Configuration> {
        self.post(
            &format!("{}/restore", config_path(component, config)),
            &serde_json::json!({}),
        )
        .await
    }

    /// Replaces a configuration's state.
    pub async fn update_config_state(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        state: &RawJson,
    ) -> Result<Configuration> {
        self.put(
            &format!("{}/state", config_path(component, config)),
            &StateUpdate {
                state: state.clone(),
            },
        )
        .await
    }

    /// Which secrets of a configuration the stack can decrypt.
    pub async fn config_secrets(
        &self,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Vec<SecretStatus>> {
        self.get(&format!("{}/secrets", config_path(component, config)))
            .await
    }

    /// Versions of a configuration, newest first.
    pub async fn list_config_versions(
        &self,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Vec<ConfigVersion>> {
        self.get(&format!("{}/versions", config_path(component, config)))
            .await
    }

    /// One version, complete.
    pub async fn get_config_version(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        version: u64,
    ) -> Result<ConfigVersion> {
        self.get(&format!(
            "{}/versions/{version}",
            config_path(component, config)
        ))
        .await
    }

    /// Rolls a configuration back to a version.
    pub async fn rollback_config(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        version: u64,
        change_description: Option<&str>,
    ) -> Result<Configuration> {
        self.post(
            &format!(
                "{}/versions/{version}/rollback",
                config_path(component, config)
            ),
            &Rollback {
                change_description: change_description.map(str::to_string),
            },
        )
        .await
    }

    /// Rows of a configuration.
    pub async fn list_rows(
        &self,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Vec<ConfigRow>> {
        self.get(&format!("{}/rows", config_path(component, config)))
            .await
    }

    /// Adds a row.
    pub async fn create_row(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        new: &NewRow,
    ) -> Result<ConfigRow> {
        self.post(&format!("{}/rows", config_path(component, config)), new)
            .await
    }

    /// One row.
    pub async fn get_row(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
    ) -> Result<ConfigRow> {
        self.get(&format!("{}/rows/{row}", config_path(component, config)))
            .await
    }

    /// Changes a row.
    pub async fn update_row(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
        update: &RowUpdate,
    ) -> Result<ConfigRow> {
        self.put(
            &format!("{}/rows/{row}", config_path(component, config)),
            update,
        )
        .await
    }

    /// Replaces a row's state.
    pub async fn update_row_state(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
        state: &RawJson,
    ) -> Result<ConfigRow> {
        self.put(
            &format!("{}/rows/{row}/state", config_path(component, config)),
            &StateUpdate {
                state: state.clone(),
            },
        )
        .await
    }

    /// Deletes a row.
    pub async fn delete_row(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        row: &RowId,
    ) -> Result<()> {
        self.delete(
            &format!("{}/rows/{row}", config_path(component, config)),
            &[],
        )
        .await
    }

    /// A configuration's metadata.
    pub async fn config_metadata(
        &self,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<Vec<MetadataEntry>> {
        self.get(&format!("{}/metadata", config_path(component, config)))
            .await
    }

    /// Writes a configuration's metadata.
    pub async fn write_config_metadata(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        write: &MetadataWrite,
    ) -> Result<Vec<MetadataEntry>> {
        self.post(
            &format!("{}/metadata", config_path(component, config)),
            write,
        )
        .await
    }

    /// Deletes one metadata entry of a configuration.
    pub async fn delete_config_metadata(
        &self,
        component: &ComponentId,
        config: &ConfigId,
        id: MetadataId,
    ) -> Result<()> {
        self.delete(
            &format!("{}/metadata/{id}", config_path(component, config)),
            &[],
        )
        .await
    }

    /// Seals every plaintext `#` value of a JSON document for the place `target` names.
    pub async fn encrypt_json(&self, target: &EncryptFor, document: &str) -> Result<String> {
        self.encrypt(target, "application/json", document).await
    }

    /// Seals one text value.
    pub async fn encrypt_text(&self, target: &EncryptFor, text: &str) -> Result<String> {
        self.encrypt(target, "text/plain", text).await
    }

    async fn encrypt(&self, target: &EncryptFor, content_type: &str, body: &str) -> Result<String> {
        let response = self
            .send(
                self.request(Method::POST, "/v2/encryption/encrypt")?
                    .query(
                        &EncryptQuery {
                            component_id: target.component_id.clone(),
                            project_id: target.project_id.map(ProjectId),
                            config_id: target.config_id.clone(),
                        }
                        .to_pairs(),
                    )
                    .header(reqwest::header::CONTENT_TYPE, content_type)
                    .body(body.to_string()),
            )
            .await?;
        response.text().await.map_err(ClientError::Http)
    }
}
