//! Tables: the same set, the same schema, and by fingerprint the same rows.

use std::collections::BTreeMap;

use futures_util::{StreamExt, TryStreamExt};
use stackport_client::Client;
use stackport_model::api::Table;

use super::Verification;
use crate::error::{ApiContext, Result};

pub(super) async fn compare(src: &Client, dst: &Client, v: &mut Verification) -> Result<()> {
    let source: BTreeMap<String, Table> = src
        .list_tables()
        .await
        .api(|| "listing the source's tables".into())?
        .into_iter()
        .map(|t| (t.id.to_string(), t))
        .collect();
    let dest: BTreeMap<String, Table> = dst
        .list_tables()
        .await
        .api(|| "listing the destination's tables".into())?
        .into_iter()
        .map(|t| (t.id.to_string(), t))
        .collect();
    for id in dest.keys().filter(|id| !source.contains_key(*id)) {
        v.differ(format!("table {id}"), "existence", "missing", "present");
    }
    let mut pairs = Vec::new();
    for (id, s) in &source {
        let object = format!("table {id}");
        let Some(d) = dest.get(id) else {
            v.differ(object, "existence", "present", "missing");
            continue;
        };
        if s.columns != d.columns {
            v.differ(
                &object,
                "columns",
                format!("{:?}", s.columns),
                format!("{:?}", d.columns),
            );
        }
        if s.primary_key != d.primary_key {
            v.differ(
                &object,
                "primaryKey",
                format!("{:?}", s.primary_key),
                format!("{:?}", d.primary_key),
            );
        }
        if s.definition != d.definition {
            v.differ(
                &object,
                "definition",
                format!("{:?}", s.definition),
                format!("{:?}", d.definition),
            );
        }
        if s.is_alias != d.is_alias
            || s.source_table != d.source_table
            || s.alias_filter != d.alias_filter
        {
            v.differ(
                &object,
                "alias",
                format!("{:?} {:?}", s.source_table, s.alias_filter),
                format!("{:?} {:?}", d.source_table, d.alias_filter),
            );
        }
        if s.is_alias {
            continue;
        }
        if s.rows_count == 0 && d.rows_count == 0 {
            // Both empty by their listings: nothing to hash.
            v.tables += 1;
            continue;
        }
        pairs.push(s.id.clone());
    }
    // Each stack hashes its own rows; two at a time keeps both stacks busy without flooding them.
    let prints: Vec<_> = futures_util::stream::iter(pairs.into_iter().map(|id| async move {
        let s = src
            .table_fingerprint(&id)
            .await
            .api(|| format!("fingerprinting table {id} on the source"))?;
        let d = dst
            .table_fingerprint(&id)
            .await
            .api(|| format!("fingerprinting table {id} on the destination"))?;
        Ok::<_, crate::MigrateError>((id, s, d))
    }))
    .buffer_unordered(2)
    .try_collect()
    .await?;
    for (id, s, d) in prints {
        let object = format!("table {id}");
        v.tables += 1;
        v.rows += s.rows_count;
        if s.rows_count != d.rows_count {
            v.differ(&object, "rows", s.rows_count, d.rows_count);
        } else if s.algorithm != d.algorithm {
            v.differ(&object, "fingerprint algorithm", &s.algorithm, &d.algorithm);
        } else if s.hash != d.hash {
            v.differ(&object, "row contents (hash of all rows)", &s.hash, &d.hash);
        }
    }
    v.differences.sort_by(|a, b| a.object.cmp(&b.object));
    Ok(())
}
