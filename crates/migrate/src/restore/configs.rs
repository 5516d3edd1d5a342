//! Configurations with their rows, state, row order, `isDisabled` and metadata. Ids are kept;
//! creation date and author become the destination's, and the source's go into metadata so
//! each configuration's origin stays traceable.

use futures_util::{StreamExt, TryStreamExt};
use stackport_client::Client;
use stackport_model::api::{
    ConfigurationUpdate, MetadataKeyValue, MetadataWrite, NewConfiguration, NewRow,
};

use super::metadata::writes;
use super::RestoreOutcome;
use crate::backend_change::{needs_rewrite, rewrite_for, BackendChange};
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
    // Into a project of another backend, the other dialect's SQL is restored disabled.
    let backend_change = outcome.backend_change.clone();
    let backend_change = backend_change.as_ref();
    // A few configurations at once: each is its own short writes, and the round trips overlap.
    let done: Vec<u64> = futures_util::stream::iter(snapshot.configurations.iter().map(|sc| {
        let made = existing.get(&(sc.component_id.to_string(), sc.configuration.id.to_string()));
        async move {
            let rows = restore_one(client, snapshot, sc, instant, made, backend_change).await?;
            timer.item(format!(
                "configuration {}/{}",
                sc.component_id, sc.configuration.id
            ));
            Ok::<_, crate::MigrateError>(rows)
        }
    }))
    .buffer_unordered(4)
    .try_collect()
    .await?;
    outcome.configurations += done.len() as u64;
    outcome.configuration_rows += done.iter().sum::<u64>();
    Ok(())
}

/// One configuration: created (unless an interrupted run did), its missing rows, row order and
/// metadata. Returns its rows.
async fn restore_one(
    client: &Client,
    snapshot: &Snapshot,
    sc: &crate::snapshot::SnapshotConfig,
    instant: &str,
    made: Option<&Vec<String>>,
    backend_change: Option<&BackendChange>,
) -> Result<u64> {
    let source = &snapshot.manifest.source;
    let mut rows = 0;
    let rewrite = backend_change
        .filter(|b| needs_rewrite(sc.component_id.as_str(), &b.to))
        .map(|b| rewrite_for(&b.to));
    {
        let component = &sc.component_id;
        let c = &sc.configuration;
        let label = format!("configuration {component}/{}", c.id);
        let change = format!(
            "Restored by stackport from stack {} project {} configuration {}",
            source.stack_id, source.project_id, c.id
        );
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
                        is_disabled: Some(c.is_disabled || rewrite.is_some()),
                    },
                )
                .await
                .api(|| format!("creating {label}"))?;
        }
        for row in c.rows.iter().flatten() {
            if made.is_some_and(|r| r.contains(&row.id.to_string())) {
                rows += 1;
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
            rows += 1;
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
        metadata.push(origin(snapshot, sc, instant, rewrite.as_deref()));
        for write in metadata {
            client
                .write_config_metadata(component, &c.id, &write)
                .await
                .api(|| format!("writing metadata of {label}"))?;
        }
    }
    Ok(rows)
}

fn origin(
    snapshot: &Snapshot,
    sc: &crate::snapshot::SnapshotConfig,
    instant: &str,
    rewrite: Option<&str>,
) -> MetadataWrite {
    let source = &snapshot.manifest.source;
    let c = &sc.configuration;
    let kv = |key: &str, value: String| MetadataKeyValue {
        key: format!("KBC.migration.{key}"),
        value,
    };
    let mut metadata = vec![
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
    ];
    // Why it is disabled, next to where it came from, for whoever opens it on the destination.
    if let Some(rewrite) = rewrite {
        metadata.push(kv(
            "disabledForBackendChange",
            format!(
                "{rewrite}: the source project's backend was {}",
                source.backend
            ),
        ));
    }
    MetadataWrite {
        provider: ORIGIN_PROVIDER.into(),
        metadata,
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
