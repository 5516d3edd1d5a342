//! A workspace's credentials after create: a new password (shown once, in that answer only,
//! and kept sealed like at create) and the public key its user may log in with.

use serde_json::json;
use stackport_model::api::{Provision, Workspace, WorkspacePassword};
use stackport_model::WorkspaceId;

use super::{load_workspace, options, workspace_db_parameter};
use crate::error::Result;
use crate::ops::auth::TokenAuth;
use crate::ops::events::{record, NewEvent};
use crate::{secret, Stack};

impl Stack {
    /// Gives workspace `id` a new password. A stack-provisioned writer's configuration that
    /// points at the workspace gets the new sealed password too, so it keeps connecting.
    pub fn reset_workspace_password(
        &self,
        auth: &TokenAuth,
        id: WorkspaceId,
    ) -> Result<WorkspacePassword> {
        auth.require_manage_buckets()?;
        let project = auth.project();
        let by = auth.token_ref();
        let password = secret::random_string(32);
        let host = self.sql_host_of_id(project)?;
        self.store.write(|tx| {
            let workspace = load_workspace(tx, project, id)?;
            let target = workspace
                .component_id
                .as_ref()
                .zip(workspace.configuration_id.as_ref());
            let sealed = match target {
                Some((component, config)) => {
                    self.seal_for_config(project, component, config, &password)
                }
                None => self.seal_project_wide(project, &password),
            };
            tx.workspaces()
                .set_workspace_password(project, id, &sealed)?;
            // The server's role takes the new password inside the transaction: if it refuses,
            // the record keeps the old one, which still works.
            if let Some(h) = host {
                h.set_password(&super::sql_workspace::account_of(&workspace), &password)?;
            }
            if let Some((component, config)) = target {
                let provisioned = self.registry.get(component).and_then(|c| c.provisions)
                    == Some(Provision::Workspace);
                let live = crate::ops::configs::load_live_config(tx, project, component, config);
                if provisioned && live.is_ok() {
                    let mut workspace = self.present_workspace(host, workspace.clone());
                    workspace.connection.sealed_password = sealed.clone();
                    self.point_config_at(
                        tx,
                        auth,
                        (component, config),
                        vec![("db", workspace_db_parameter(&workspace))],
                        &format!("New password of workspace {id}"),
                    )?;
                }
            }
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "workspaces.passwordReset",
                    message: format!("Workspace {id} got a new password"),
                    object_type: "workspace",
                    object_id: id.to_string(),
                    params: json!({}),
                },
            )
        })?;
        Ok(WorkspacePassword { password })
    }

    /// Sets the PEM public key workspace `id`'s user may log in with; answers the workspace.
    pub fn set_workspace_public_key(
        &self,
        auth: &TokenAuth,
        id: WorkspaceId,
        public_key: &str,
    ) -> Result<Workspace> {
        auth.require_manage_buckets()?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            load_workspace(tx, project, id)?;
            options::check_public_key(public_key)?;
            tx.workspaces()
                .set_workspace_public_key(project, id, public_key.trim())?;
            record(
                tx,
                project,
                Some(&by),
                NewEvent {
                    event: "workspaces.publicKeySet",
                    message: format!("Workspace {id} got a new public key"),
                    object_type: "workspace",
                    object_id: id.to_string(),
                    params: json!({}),
                },
            )?;
            load_workspace(tx, project, id)
        })
    }
}
