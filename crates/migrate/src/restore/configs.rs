//! Configurations with their rows, state, row order, `isDisabled` and metadata. Ids are kept;
//! creation date and author become the destination's, and the source's go into metadata so
//! each configuration's origin stays traceable.

use stackport_client::Client;
use stackport_model::api::{
    ConfigurationUpdate, MetadataKeyValue, MetadataWrite, NewConfiguration, NewRow,
};

use super::metadata::writes;
use super::RestoreOutcome;
use crate::error::{ApiContext, Result};
use crate::progress::PhaseTimer;
use crate::snapshot::Snapshot;

/// The metadata provider of the origin entries.
pub const ORIGIN_PROVIDER: &str = "stackport.migration";

pub(crate) async fn restore_configurations(
    client: &Client,
    snapshot: &Snapshot,
    instant: &str,
    timer: &PhaseTimer<'_>,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    let source = &snapshot.manifest.source;
    // What an interrupted run of this restore already made.
    let existing: std::collections::HashMap<(String, String), Vec<String>> = client
        .list_components("rows", false)
        .await
        .api(|| "listing the destination's configurations".into())?
        .into_iter()
        .flat_map(|comp| {
            let component = comp.id.to_string();
            comp.configurations.into_iter().map(move |cfg| {
                let rows = cfg
                    .rows
                    .iter()
                    .flatten()
                    .map(|r| r.id.to_string())
                    .collect();
                ((component.clone(), cfg.id.to_string()), rows)
            })
        })
        .collect();
    for sc in &snapshot.configurations {
        let component = &sc.component_id;
        let c = &sc.configuration;
        let label = format!("configuration {component}/{}", c.id);
        let change = format!(
            "Restored by stackport from stack {} project {} configuration {}",
            source.stack_id, source.project_id, c.id
        );
        let made = existing.get(&(component.to_string(), c.id.to_string()));
        if made.is_none() {
            client
                .create_config(
                    component,
                    &NewConfiguration {
                        name: c.name.clone(),
                        configuration_id: Some(c.id.clone()),
                        description: Some(c.description.clone()),
                        configuration: c.configuration.clone(),
                        state: c.state.clone(),
                        change_description: Some(change.clone()),
                        is_disabled: Some(c.is_disabled),
                    },
                )
                .await
                .api(|| format!("creating {label}"))?;
        }
        for row in c.rows.iter().flatten() {
            if made.is_some_and(|rows| rows.contains(&row.id.to_string())) {
                outcome.configuration_rows += 1;
                continue;
            }
            client
                .create_row(
                    component,
                    &c.id,
                    &NewRow {
                        row_id: Some(row.id.clone()),
                        name: Some(row.name.clone()),
                        description: Some(row.description.clone()),
                        configuration: Some(row.configuration.clone()),
                        state: Some(row.state.clone()),
                        is_disabled: Some(row.is_disabled),
                        change_description: Some(change.clone()),
                    },
                )
                .await
                .api(|| format!("creating row {} of {label}", row.id))?;
            outcome.configuration_rows += 1;
        }
        if !c.rows_sort_order.is_empty() {
            client
                .update_config(
                    component,
                    &c.id,
                    &ConfigurationUpdate {
                        rows_sort_order: Some(c.rows_sort_order.clone()),
                        change_description: Some("Row order restored by stackport".into()),
                        ..Default::default()
                    },
                )
                .await
                .api(|| format!("restoring the row order of {label}"))?;
        }
        let mut metadata = writes(&sc.metadata, None);
        metadata.retain(|w| w.provider != ORIGIN_PROVIDER);
        metadata.push(origin(snapshot, sc, instant));
        for write in metadata {
            client
                .write_config_metadata(component, &c.id, &write)
                .await
                .api(|| format!("writing metadata of {label}"))?;
        }
        outcome.configurations += 1;
        timer.item(label);
    }
    Ok(())
}

fn origin(
    snapshot: &Snapshot,
    sc: &crate::snapshot::SnapshotConfig,
    instant: &str,
) -> MetadataWrite {
    let source = &snapshot.manifest.source;
    let c = &sc.configuration;
    let kv = |key: &str, value: String| MetadataKeyValue {
        key: format!("KBC.migration.{key}"),
        value,
    };
    MetadataWrite {
        provider: ORIGIN_PROVIDER.into(),
        metadata: vec![
            kv("sourceStack", source.stack_id.clone()),
            kv("sourceProjectId", source.project_id.to_string()),
            kv("sourceConfigurationId", c.id.to_string()),
            kv("sourceCreated", stackport_model::time::format(&c.created)),
            kv(
                "sourceCreatorToken",
                format!("{} ({})", c.creator_token.id, c.creator_token.description),
            ),
            kv("sourceVersion", c.version.to_string()),
            kv("migratedAt", instant.to_string()),
        ],
        ..Default::default()
    }
}

/// Where a removed secret sits, as the stack's secrets report spells it.
pub(crate) fn secret_key(s: &crate::snapshot::format::RemovedSecret) -> String {
    let full = match &s.row_id {
        Some(row) => format!("rows[{row}].{}.{}", s.document, s.path),
        None => format!("{}.{}", s.document, s.path),
    };
    format!("{}/{}/{full}", s.component_id, s.config_id)
}

/// Secrets the destination filled in itself (a provisioned workspace's or BI project's
/// credentials): nobody has to re-enter them.
pub(crate) async fn secrets_filled_by_destination(
    client: &Client,
    snapshot: &Snapshot,
    outcome: &mut RestoreOutcome,
) -> Result<()> {
    let mut configs: Vec<(&stackport_model::ComponentId, &stackport_model::ConfigId)> = snapshot
        .secrets
        .iter()
        .filter(|s| s.kind == crate::snapshot::format::SecretKind::Secret)
        .map(|s| (&s.component_id, &s.config_id))
        .collect();
    configs.dedup();
    for (component, config) in configs {
        let statuses = client.config_secrets(component, config).await.api(|| {
            format!("reading which secrets of configuration {component}/{config} are set")
        })?;
        for st in statuses {
            if st.status == stackport_model::api::SecretState::Ok {
                outcome
                    .filled_by_destination
                    .push(format!("{component}/{config}/{}", st.path));
            }
        }
    }
    Ok(())
}
