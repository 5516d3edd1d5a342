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
