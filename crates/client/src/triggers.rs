//! Triggers: configurations run when their watched tables have all been imported into.

use stackport_model::api::{NewTrigger, Trigger, TriggerUpdate};
use stackport_model::TriggerId;

use crate::{Client, Result};

impl Client {
    /// The project's triggers.
    pub async fn list_triggers(&self) -> Result<Vec<Trigger>> {
        self.get("/v2/storage/triggers").await
    }

    /// Creates a trigger.
    pub async fn create_trigger(&self, new: &NewTrigger) -> Result<Trigger> {
        self.post("/v2/storage/triggers", new).await
    }

    /// One trigger.
    pub async fn get_trigger(&self, id: TriggerId) -> Result<Trigger> {
        self.get(&format!("/v2/storage/triggers/{id}")).await
    }

    /// Changes a trigger.
    pub async fn update_trigger(&self, id: TriggerId, update: &TriggerUpdate) -> Result<Trigger> {
        self.put(&format!("/v2/storage/triggers/{id}"), update)
            .await
    }

    /// Deletes a trigger.
    pub async fn delete_trigger(&self, id: TriggerId) -> Result<()> {
        self.delete(&format!("/v2/storage/triggers/{id}"), &[])
            .await
    }
}
