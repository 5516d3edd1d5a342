//! How the demo's us-east registry differs from eu-central's: real stacks are upgraded at
//! different times, so a migration must never assume the destination offers the same components.

use anyhow::{ensure, Context};
use stackport_client::Client;
use stackport_model::api::{Component, ComponentType};

use crate::seed_configs::SEED_COMPONENTS;

/// A deprecated component us-east no longer offers. The seed does not use it, so the demo
/// migration succeeds; a project that did would be stopped by the preflight.
pub const DROPPED_ON_US_EAST: &str = "keboola.ex-google-analytics-v4";

/// A component only us-east offers.
pub const ONLY_ON_US_EAST: &str = "keboola.wr-aws-redshift-v2";

/// Drops [`DROPPED_ON_US_EAST`] and adds [`ONLY_ON_US_EAST`]; running it again changes nothing,
/// so a demo dir can be started many times.
pub(crate) async fn make_us_east_registry_differ(manage: &Client) -> anyhow::Result<()> {
    ensure!(
        !SEED_COMPONENTS.contains(&DROPPED_ON_US_EAST),
        "the seed uses {DROPPED_ON_US_EAST}, which us-east is meant not to offer"
    );
    let current = manage
        .manage_components()
        .await
        .context("cannot read the component registry")?;
    let mut components: Vec<Component> = current
        .iter()
        .filter(|c| c.id.as_str() != DROPPED_ON_US_EAST)
        .cloned()
        .collect();
    if !components.iter().any(|c| c.id.as_str() == ONLY_ON_US_EAST) {
        components.push(Component {
            id: ONLY_ON_US_EAST.parse().context("the added component id")?,
            component_type: ComponentType::Writer,
            name: "Amazon Redshift".into(),
            description: "Tables to Amazon Redshift".into(),
            flags: Vec::new(),
            replaced_by: None,
            provisions: None,
            oauth: None,
            runner: None,
        });
    }
    if components != current {
        manage
            .replace_components(&components)
            .await
            .context("cannot replace the component registry")?;
    }
    Ok(())
}
