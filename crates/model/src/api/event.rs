use serde::{Deserialize, Serialize};

use super::token::TokenRef;
use crate::ids::EventId;
use crate::time::{serde_rfc3339, Timestamp};

/// One thing that happened in a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Grows with time.
    pub id: EventId,
    /// A stable name such as `storage.tableImportDone`.
    pub event: String,
    /// `info`, `warn` or `error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A sentence for people.
    pub message: String,
    /// `bucket`, `table`, `file`, `token` or `project`.
    pub object_type: String,
    /// The id of that object.
    pub object_id: String,
    /// When it happened.
    #[serde(with = "serde_rfc3339")]
    pub created: Timestamp,
    /// The token that caused it; none for the stack administrator.
    pub token: Option<TokenRef>,
    /// Details, by event.
    pub params: serde_json::Value,
}

/// Body of `POST /v2/storage/events`: an event a component or script reports about its own
/// run, as the reference's event create takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewExternalEvent {
    /// The component that reports (required): the event is named `ext.<component>.`.
    pub component: String,
    /// A sentence for people (required, not empty).
    pub message: String,
    /// `info` (the default), `success`, `warn` or `error`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The configuration that ran, when the event is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_id: Option<String>,
    /// The run the event belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Any JSON object (checked by the stack, so the refusal can name it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    /// Any JSON object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<serde_json::Value>,
    /// Seconds the run took, not negative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
}
