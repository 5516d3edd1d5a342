use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::token::TokenRef;
use crate::ids::{ComponentId, ConfigId, TableId, TokenId, TriggerId};
use crate::time::{serde_rfc3339, Timestamp};

/// A trigger: runs a configuration once every watched table has been imported into since its
/// last run, no sooner than its cool-down after that run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    /// Assigned by the stack; a migrated trigger gets a new one.
    pub id: TriggerId,
    /// The token the configuration's job runs with.
    pub run_with_token_id: TokenId,
    pub component: ComponentId,
    pub configuration_id: ConfigId,
    /// When it last queued its job; null until then (and when an answer leaves it out).
    #[serde(default, with = "serde_rfc3339::option")]
    pub last_run: Option<Timestamp>,
    pub cool_down_period_minutes: u32,
    /// Who created it.
    pub creator_token: TokenRef,
    /// The watched tables.
    pub tables: Vec<TriggerTable>,
    /// This stack's extension: an inactive trigger watches nothing and never fires (a
    /// migrated trigger is restored inactive until its token is set). True when left out.
    #[serde(default = "yes")]
    pub is_active: bool,
}

/// One watched table of a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerTable {
    pub table_id: TableId,
}

fn yes() -> bool {
    true
}

/// Body of `POST /v2/storage/triggers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTrigger {
    /// A token of the project that may run the component.
    pub run_with_token_id: TokenId,
    /// A component this stack can run, or `orchestrator` (`orchestration` and
    /// `keboola.orchestrator` name it too) with an orchestration id as `configurationId`.
    pub component: ComponentId,
    #[serde(deserialize_with = "config_id")]
    #[schemars(with = "ConfigId")]
    pub configuration_id: ConfigId,
    /// At least 1.
    pub cool_down_period_minutes: u32,
    /// At least one table of the project.
    pub table_ids: Vec<TableId>,
    /// This stack's extension; true when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

/// Body of `PUT /v2/storage/triggers/{id}`: fields left out stay as they are. A form may
/// repeat `tableIds=` (as Python's `requests` sends a list) as well as write `tableIds[]=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_with_token_id: Option<TokenId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentId>,
    #[serde(
        default,
        deserialize_with = "some_config_id",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<ConfigId>")]
    pub configuration_id: Option<ConfigId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cool_down_period_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_ids: Option<Vec<TableId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
}

impl TriggerUpdate {
    /// The fields a form may send as a plain name repeated, meaning a list.
    pub const LIST_FIELDS: &'static [&'static str] = &["tableIds"];
}

/// A configuration id as a string, or as the number `kbcstorage` documents for an
/// orchestration's id.
fn config_id<'de, D: Deserializer<'de>>(d: D) -> Result<ConfigId, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u64),
        String(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Number(n) => n.to_string(),
        Raw::String(s) => s,
    };
    text.parse().map_err(serde::de::Error::custom)
}

fn some_config_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ConfigId>, D::Error> {
    config_id(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_id_may_be_a_number() {
        let new: NewTrigger = serde_json::from_str(
            r#"{"runWithTokenId": 3, "component": "orchestrator", "configurationId": 12,
                "coolDownPeriodMinutes": 5, "tableIds": ["in.c-a.b"]}"#,
        )
        .unwrap();
        assert_eq!(new.configuration_id.as_str(), "12");
        let update: TriggerUpdate = serde_json::from_str(r#"{"configurationId": "x"}"#).unwrap();
        assert_eq!(update.configuration_id.unwrap().as_str(), "x");
    }

    #[test]
    fn an_answer_without_last_run_or_is_active_reads() {
        let t: Trigger = serde_json::from_str(
            r#"{"id": "4", "runWithTokenId": 3, "component": "orchestrator",
                "configurationId": "12", "coolDownPeriodMinutes": 5,
                "creatorToken": {"id": 3, "description": "x"}, "tables": []}"#,
        )
        .unwrap();
        assert_eq!(t.last_run, None);
        assert!(
            t.is_active,
            "the reference has no isActive: its triggers fire"
        );
    }
}
