use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::token::TokenRef;
use crate::ids::{ComponentId, ConfigId, OrchestrationId};
use crate::time::{serde_rfc3339, Timestamp};

/// One step of an orchestration: a configuration to run, or a child orchestration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrchestrationTask {
    /// With `configId`: the configuration to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<ComponentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<ConfigId>,
    /// Or: an orchestration of the same project to run as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orchestration_id: Option<OrchestrationId>,
    /// What to do; `run` unless the component offers other actions.
    #[serde(default = "run")]
    pub action: String,
    /// Inactive tasks are skipped.
    #[serde(default = "yes")]
    pub active: bool,
    /// Go on with the next phase even if this task fails.
    #[serde(default)]
    pub continue_on_failure: bool,
    /// Tasks of one phase run together; phases run in the order they first appear.
    #[serde(default = "first_phase")]
    pub phase: String,
}

fn run() -> String {
    "run".into()
}
fn yes() -> bool {
    true
}
fn first_phase() -> String {
    "1".into()
}

/// An orchestration: tasks in phases, on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Orchestration {
    /// Assigned by the stack; a migrated orchestration gets a new one.
    pub id: OrchestrationId,
    pub name: String,
    /// Five-field cron; no schedule when null.
    pub crontab_record: Option<String>,
    /// The schedule's time zone (IANA name).
    pub timezone: String,
    /// Whether the schedule fires.
    pub active: bool,
    /// E-mails told about failures.
    pub notifications: Vec<String>,
    pub tasks: Vec<OrchestrationTask>,
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// The token it was created with, and runs as.
    pub token: TokenRef,
}

/// Body of `POST /v2/orchestrations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrchestration {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crontab_record: Option<String>,
    /// `UTC` when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Inactive when left out.
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub notifications: Vec<String>,
    #[serde(default)]
    pub tasks: Vec<OrchestrationTask>,
}

/// Body of `PUT /v2/orchestrations/{id}`: fields left out stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrchestrationUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `""` removes the schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crontab_record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<OrchestrationTask>>,
}
