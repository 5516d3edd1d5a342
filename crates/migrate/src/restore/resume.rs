//! A restore run again on a destination that already holds the whole snapshot: it describes
//! what is there (for the report and the id map) and writes nothing.

use stackport_client::Client;

use super::orchestrations::{restore_orchestrations, restore_provisioned};
use super::RestoreOutcome;
use crate::error::Result;
use crate::progress::{NoProgress, Phase, PhaseTimer};
use crate::snapshot::Snapshot;

pub(crate) async fn describe_finished(
    client: &Client,
    snapshot: &Snapshot,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    let inv = &snapshot.manifest.inventory;
    outcome.buckets = inv.buckets;
    outcome.tables = inv.tables;
    outcome.aliases = inv.aliases;
    outcome.rows = inv.rows;
    outcome.bytes = inv.data_bytes;
    outcome.configurations = inv.configurations;
    outcome.configuration_rows = inv.configuration_rows;
    let quiet = NoProgress;
    let timer = PhaseTimer::start(&quiet, Phase::Restore, 0, 0, 0);
    restore_provisioned(client, snapshot, &timer, outcome, false).await?;
    restore_orchestrations(client, snapshot, &timer, outcome, false).await?;
    super::triggers::restore_triggers(client, snapshot, &timer, outcome, false).await?;
    super::configs::secrets_filled_by_destination(client, snapshot, outcome).await?;
    Ok(())
}
