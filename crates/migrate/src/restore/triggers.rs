//! Triggers: created again with the destination's ids, inactive. The token a trigger runs with
//! does not move (tokens never do), so each is saved with the restorer's token and left off
//! until a person gives it its own token and switches it on: the checklist says so.

use serde::Serialize;
use stackport_client::Client;
use stackport_model::api::NewTrigger;
use stackport_model::ConfigId;

use super::RestoreOutcome;
use crate::error::{ApiContext, Result};
use crate::progress::PhaseTimer;
use crate::snapshot::Snapshot;
use crate::ORCHESTRATOR;

/// A trigger's id on both stacks.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerMapping {
    /// Id on the source.
    pub old_id: u64,
    /// Id on the destination.
    pub new_id: u64,
    /// The component it runs.
    pub component_id: String,
    /// The configuration it runs, as the destination names it (an orchestration's new id).
    pub configuration_id: String,
    /// The source token it ran with, and its description (empty when the source's tokens
    /// could not be listed).
    pub source_token_id: u64,
    pub source_token_description: String,
    /// Whether it was active on the source (it is inactive on the destination).
    pub was_active: bool,
}

/// Creates the snapshot's triggers, inactive, after the configurations and orchestrations they
/// name. One an interrupted run already created (same component, configuration, tables and
/// cool-down, inactive) is taken over, not made twice. With `create` false it only finds them.
/// A trigger the destination refuses is a warning, not the end of the restore.
pub(crate) async fn restore_triggers(
    client: &Client,
    snapshot: &Snapshot,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
    create: bool,
) -> Result<()> {
    if snapshot.triggers.is_empty() {
        return Ok(());
    }
    let existing = client
        .list_triggers()
        .await
        .api(|| "listing the destination's triggers".into())?;
    let restorer = client
        .verify_token()
        .await
        .api(|| "verifying the destination token".into())?
        .token
        .id;
    let mut taken = Vec::new();
    for t in &snapshot.triggers {
        let config: ConfigId = if t.component.as_str() == ORCHESTRATOR {
            let mapped = outcome
                .orchestrations
                .iter()
                .find(|m| m.old_id.to_string() == t.configuration_id.as_str());
            match mapped.and_then(|m| m.new_id.to_string().parse().ok()) {
                Some(id) => id,
                None => {
                    outcome.warnings.push(format!(
                        "trigger {} runs orchestration {}, which was not restored; the trigger was not restored",
                        t.id, t.configuration_id
                    ));
                    continue;
                }
            }
        } else {
            t.configuration_id.clone()
        };
        let new = NewTrigger {
            run_with_token_id: restorer,
            component: t.component.clone(),
            configuration_id: config.clone(),
            cool_down_period_minutes: t.cool_down_period_minutes,
            table_ids: t.tables.iter().map(|w| w.table_id.clone()).collect(),
            // Its own token is not on the destination: nothing fires before a person gives it one.
            is_active: Some(false),
        };
        let found = existing.iter().find(|e| {
            !taken.contains(&e.id)
                && !e.is_active
                && e.component == new.component
                && e.configuration_id == new.configuration_id
                && e.cool_down_period_minutes == new.cool_down_period_minutes
                && e.tables
                    .iter()
                    .map(|w| &w.table_id)
                    .eq(new.table_ids.iter())
        });
        let id = match found {
            Some(e) => e.id,
            None if create => match client.create_trigger(&new).await {
                Ok(created) => created.id,
                Err(e) => {
                    outcome.warnings.push(format!(
                        "trigger {} ({}/{}) could not be restored: {e}",
                        t.id, t.component, t.configuration_id
                    ));
                    continue;
                }
            },
            None => {
                outcome.warnings.push(format!(
                    "trigger {} ({}/{}) is not on the destination",
                    t.id, t.component, t.configuration_id
                ));
                continue;
            }
        };
        taken.push(id);
        let description = snapshot
            .not_moved
            .tokens
            .iter()
            .find(|k| k.id == t.run_with_token_id)
            .map(|k| k.description.clone())
            .unwrap_or_default();
        outcome.triggers.push(TriggerMapping {
            old_id: t.id.0,
            new_id: id.0,
            component_id: t.component.to_string(),
            configuration_id: config.to_string(),
            source_token_id: t.run_with_token_id.0,
            source_token_description: description,
            was_active: t.is_active,
        });
        timer.item(format!("trigger {} → {}", t.id, id));
    }
    outcome.triggers.sort_by_key(|m| m.old_id);
    Ok(())
}
