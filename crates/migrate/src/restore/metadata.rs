//! Metadata entries as writes: grouped by provider, the stack's own `storage` entries left out
//! (the destination writes its own).

use std::collections::BTreeMap;

use stackport_client::Client;
use stackport_model::api::{MetadataEntry, MetadataKeyValue, MetadataWrite};

use crate::error::{ApiContext, Result};

const STACK_PROVIDER: &str = "storage";

/// One write per provider for an object's entries and (for tables) its columns' entries.
pub(crate) fn writes(
    entries: &[MetadataEntry],
    columns: Option<&BTreeMap<String, Vec<MetadataEntry>>>,
) -> Vec<MetadataWrite> {
    let mut out: BTreeMap<String, MetadataWrite> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.provider != STACK_PROVIDER) {
        out.entry(e.provider.clone())
            .or_insert_with(|| new_write(&e.provider))
            .metadata
            .push(MetadataKeyValue {
                key: e.key.clone(),
                value: e.value.clone(),
            });
    }
    for (column, list) in columns.into_iter().flatten() {
        for e in list.iter().filter(|e| e.provider != STACK_PROVIDER) {
            out.entry(e.provider.clone())
                .or_insert_with(|| new_write(&e.provider))
                .columns_metadata
                .entry(column.clone())
                .or_default()
                .push(MetadataKeyValue {
                    key: e.key.clone(),
                    value: e.value.clone(),
                });
        }
    }
    out.into_values().collect()
}

fn new_write(provider: &str) -> MetadataWrite {
    MetadataWrite {
        provider: provider.to_string(),
        ..Default::default()
    }
}

pub(crate) async fn restore_project_metadata(
    client: &Client,
    entries: &[MetadataEntry],
) -> Result<()> {
    for write in writes(entries, None) {
        client.write_project_metadata(&write).await.api(|| {
            format!(
                "writing the project's metadata of provider {}",
                write.provider
            )
        })?;
    }
    Ok(())
}
