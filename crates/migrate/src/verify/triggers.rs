//! Triggers: the same configuration (an orchestration's through the id map), the same tables
//! and cool-down. Not compared: ids (new ones are expected), `lastRun`, the token (tokens do
//! not move) and `isActive` (the migration restores them inactive until their token is set).

use std::collections::{BTreeMap, BTreeSet};

use stackport_client::Client;
use stackport_model::api::Trigger;

use super::Verification;
use crate::error::{ApiContext, Result};
use crate::ORCHESTRATOR;

fn label(t: &Trigger) -> String {
    format!("trigger {} ({}/{})", t.id, t.component, t.configuration_id)
}

fn tables(t: &Trigger) -> Vec<String> {
    t.tables.iter().map(|w| w.table_id.to_string()).collect()
}

/// `orchestrations` maps source orchestration ids to the destination's.
pub(super) async fn compare(
    src: &Client,
    dst: &Client,
    orchestrations: &BTreeMap<u64, u64>,
    v: &mut Verification,
) -> Result<()> {
    let source = src
        .list_triggers()
        .await
        .api(|| "listing the source's triggers".into())?;
    let dest = dst
        .list_triggers()
        .await
        .api(|| "listing the destination's triggers".into())?;
    let mut matched: BTreeSet<u64> = BTreeSet::new();
    for t in &source {
        let config = if t.component.as_str() == ORCHESTRATOR {
            t.configuration_id
                .as_str()
                .parse::<u64>()
                .ok()
                .and_then(|id| orchestrations.get(&id))
                .map(|id| id.to_string())
        } else {
            Some(t.configuration_id.to_string())
        };
        let found = dest.iter().find(|d| {
            !matched.contains(&d.id.0)
                && d.component == t.component
                && Some(d.configuration_id.as_str()) == config.as_deref()
                && tables(d) == tables(t)
        });
        let Some(d) = found else {
            v.differ(label(t), "existence", "present", "missing");
            continue;
        };
        matched.insert(d.id.0);
        v.triggers += 1;
        if d.cool_down_period_minutes != t.cool_down_period_minutes {
            v.differ(
                format!("{} → {}", label(t), d.id),
                "coolDownPeriodMinutes",
                t.cool_down_period_minutes,
                d.cool_down_period_minutes,
            );
        }
    }
    for d in dest.iter().filter(|d| !matched.contains(&d.id.0)) {
        v.differ(label(d), "existence", "missing", "present");
    }
    Ok(())
}
