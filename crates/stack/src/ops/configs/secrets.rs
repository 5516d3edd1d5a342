//! What a configuration's secrets look like from this stack: which of them it can open. The
//! values never leave; this is what has to be entered again after a move.

use stackport_model::api::SecretStatus;
use stackport_model::{ComponentId, ConfigId};

use crate::error::Result;
use crate::ops::auth::TokenAuth;
use crate::Stack;

impl Stack {
    /// Which secrets of a configuration (and its rows) this stack can open. Never the values.
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
