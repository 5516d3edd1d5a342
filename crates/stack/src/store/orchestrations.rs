//! Orchestrations and their tasks.

use stackport_model::api::{Orchestration, OrchestrationTask, TokenRef};
use stackport_model::{OrchestrationId, ProjectId};

use crate::error::Result;

/// What an orchestration is, as saved: whole, for an insert and for an update alike.
#[derive(Debug, Clone)]
pub struct OrchestrationFields<'a> {
    pub name: &'a str,
    pub crontab_record: Option<&'a str>,
    pub timezone: &'a str,
    pub active: bool,
    pub notifications: &'a [String],
    pub tasks: &'a [OrchestrationTask],
    /// Whoever saved it last: scheduled runs use this token.
    pub token: &'a TokenRef,
}

/// Orchestrations of a project.
pub trait OrchestrationStore {
    /// Inserts an orchestration; returns the id the store minted (never reused).
    fn insert_orchestration(
        &mut self,
        project: ProjectId,
        fields: &OrchestrationFields<'_>,
        created_micros: i64,
    ) -> Result<OrchestrationId>;
    /// The orchestration, if it is `project`'s.
    fn get_orchestration(
        &mut self,
        project: ProjectId,
        id: OrchestrationId,
    ) -> Result<Option<Orchestration>>;
    /// The project's orchestrations, by id.
    fn list_orchestrations(&mut self, project: ProjectId) -> Result<Vec<Orchestration>>;
    /// Replaces every field (the id and `created` stay); false if there is no such one.
    fn update_orchestration(
        &mut self,
        project: ProjectId,
        id: OrchestrationId,
        fields: &OrchestrationFields<'_>,
    ) -> Result<bool>;
    /// Deletes the orchestration and its schedule's slots; false if there was none.
    fn delete_orchestration(&mut self, project: ProjectId, id: OrchestrationId) -> Result<bool>;
}
