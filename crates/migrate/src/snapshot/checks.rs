//! What must hold between a snapshot's documents, checked when it is opened so that a restore
//! never stops half-way on something the snapshot could have told it.

use std::collections::{BTreeSet, HashSet};

use stackport_model::api::Orchestration;

use super::format::{paths, Inventory};
use super::reader::Snapshot;
use crate::error::{MigrateError, Result};

pub(crate) fn check_structure(s: &Snapshot) -> Result<()> {
    let buckets: HashSet<String> = s.buckets.iter().map(|b| b.id.to_string()).collect();
    if buckets.len() != s.buckets.len() {
        return Err(MigrateError::snapshot(
            paths::BUCKETS,
            "lists a bucket twice",
        ));
    }
    let mut tables = HashSet::new();
    let mut real = HashSet::new();
    for e in &s.tables {
        let id = e.table.id.to_string();
        let fail = |problem: String| {
            Err(MigrateError::snapshot(
                paths::TABLES,
                format!("table {id}: {problem}"),
            ))
        };
        if !tables.insert(id.clone()) {
            return fail("is listed twice".into());
        }
        if e.table.bucket.id != *e.table.id.bucket() {
            return fail(format!("says its bucket is {}", e.table.bucket.id));
        }
        if !buckets.contains(&e.table.id.bucket().to_string()) {
            return fail(format!(
                "its bucket {} is not in {}",
                e.table.id.bucket(),
                paths::BUCKETS
            ));
        }
        match (&e.data, e.table.is_alias) {
            (Some(_), true) => return fail("is an alias but has data".into()),
            (None, false) => return fail("is a table but has no data entry".into()),
            (Some(data), false) => {
                for (n, chunk) in data.chunks.iter().enumerate() {
                    let expected = paths::chunk(&e.table.id, n, data.codec);
                    if chunk.path != expected {
                        return fail(format!(
                            "chunk {n} is at '{}', expected '{expected}'",
                            chunk.path
                        ));
                    }
                    // Every row ends with a `\n`, so a chunk cannot hold more rows than bytes.
                    if chunk.rows > chunk.bytes {
                        return fail(format!(
                            "chunk {} declares {} rows in {} bytes; a row takes at least one byte",
                            chunk.path, chunk.rows, chunk.bytes
                        ));
                    }
                }
                let (Some(rows), Some(bytes)) = (
                    sum(data.chunks.iter().map(|c| c.rows)),
                    sum(data.chunks.iter().map(|c| c.bytes)),
                ) else {
                    return fail("its chunks' rows or bytes add up to more than 2^64".into());
                };
                if rows != data.rows || bytes != data.bytes {
                    return fail(format!(
                        "its chunks hold {rows} rows and {bytes} bytes, its entry says {} and {}",
                        data.rows, data.bytes
                    ));
                }
                real.insert(id);
            }
            (None, true) => {}
        }
    }
    for e in s.tables.iter().filter(|e| e.table.is_alias) {
        let source = e.table.source_table.as_ref().map(|t| t.to_string());
        if !source.as_ref().is_some_and(|t| real.contains(t)) {
            return Err(MigrateError::snapshot(
                paths::TABLES,
                format!(
                    "alias {}: its source table {} is not a table of the snapshot",
                    e.table.id,
                    source.as_deref().unwrap_or("(none)")
                ),
            ));
        }
    }
    let mut configs = HashSet::new();
    for c in &s.configurations {
        configs.insert((c.component_id.to_string(), c.configuration.id.to_string()));
    }
    for r in &s.secrets {
        if !configs.contains(&(r.component_id.to_string(), r.config_id.to_string())) {
            return Err(MigrateError::snapshot(
                paths::SECRETS,
                format!(
                    "names configuration {}/{}, which the snapshot does not have",
                    r.component_id, r.config_id
                ),
            ));
        }
    }
    for o in &s.orchestrations {
        for t in &o.tasks {
            if let (Some(c), Some(id)) = (&t.component_id, &t.config_id) {
                if !configs.contains(&(c.to_string(), id.to_string())) {
                    return Err(MigrateError::snapshot(
                        paths::ORCHESTRATIONS,
                        format!("orchestration {} runs configuration {c}/{id}, which the snapshot does not have", o.id),
                    ));
                }
            }
        }
    }
    orchestration_order(&s.orchestrations)?;
    for p in &s.provisioned {
        if let (Some(c), Some(id)) = (&p.component_id, &p.configuration_id) {
            if !configs.contains(&(c.to_string(), id.to_string())) {
                return Err(MigrateError::snapshot(
                    paths::PROVISIONED,
                    format!(
                        "{} is for configuration {c}/{id}, which the snapshot does not have",
                        p.id
                    ),
                ));
            }
        }
    }
    check_triggers(s, &configs)?;
    check_inventory(s)
}

/// Each trigger watches tables of the snapshot and runs a configuration or orchestration of it.
fn check_triggers(s: &Snapshot, configs: &HashSet<(String, String)>) -> Result<()> {
    let tables: HashSet<String> = s.tables.iter().map(|e| e.table.id.to_string()).collect();
    for t in &s.triggers {
        let refused = |what: String| {
            Err(MigrateError::snapshot(
                paths::TRIGGERS,
                format!("trigger {} {what}, which the snapshot does not have", t.id),
            ))
        };
        if let Some(table) = t
            .tables
            .iter()
            .find(|w| !tables.contains(&w.table_id.to_string()))
        {
            return refused(format!("watches table {}", table.table_id));
        }
        let runs = if t.component.as_str() == crate::ORCHESTRATOR {
            s.orchestrations
                .iter()
                .any(|o| o.id.to_string() == t.configuration_id.as_str())
        } else {
            configs.contains(&(t.component.to_string(), t.configuration_id.to_string()))
        };
        if !runs {
            return refused(format!("runs {}/{}", t.component, t.configuration_id));
        }
    }
    Ok(())
}

/// The manifest's counts must be what the documents hold: a mismatch means files were swapped
/// between snapshots or edited.
fn check_inventory(s: &Snapshot) -> Result<()> {
    let data = s.tables.iter().filter_map(|e| e.data.as_ref());
    let (Some(rows), Some(data_bytes)) = (
        sum(data.clone().map(|d| d.rows)),
        sum(data.map(|d| d.bytes)),
    ) else {
        return Err(MigrateError::snapshot(
            paths::TABLES,
            "its tables' rows or bytes add up to more than 2^64",
        ));
    };
    let found = Inventory {
        buckets: s.buckets.len() as u64,
        tables: s.tables.iter().filter(|e| !e.table.is_alias).count() as u64,
        aliases: s.tables.iter().filter(|e| e.table.is_alias).count() as u64,
        rows,
        data_bytes,
        stored_bytes: s.manifest.inventory.stored_bytes,
        configurations: s.configurations.len() as u64,
        configuration_rows: s
            .configurations
            .iter()
            .map(|c| c.configuration.rows.as_ref().map_or(0, |r| r.len()) as u64)
            .sum(),
        orchestrations: s.orchestrations.len() as u64,
        triggers: s.triggers.len() as u64,
        provisioned: s.provisioned.len() as u64,
        secrets_removed: s.secrets.len() as u64,
    };
    let stored = sum(s
        .manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("storage/data/"))
        .map(|f| f.bytes));
    if stored != Some(s.manifest.inventory.stored_bytes) {
        let stored = stored.map_or("more than 2^64".to_string(), |b| b.to_string());
        return Err(MigrateError::snapshot(
            paths::MANIFEST,
            format!(
                "its inventory's storedBytes is {}, but its chunk files hold {stored} bytes",
                s.manifest.inventory.stored_bytes
            ),
        ));
    }
    if found != s.manifest.inventory {
        return Err(MigrateError::snapshot(
            paths::MANIFEST,
            format!(
                "its inventory {:?} does not match the snapshot's documents {found:?}",
                s.manifest.inventory
            ),
        ));
    }
    Ok(())
}

/// The sum, or `None` when it does not fit: a tampered count must be refused, not wrap or panic.
fn sum(values: impl Iterator<Item = u64>) -> Option<u64> {
    values.into_iter().try_fold(0u64, u64::checked_add)
}

/// Orchestrations with children first, so a parent's task can name its child's new id; refuses
/// a child that is missing or a cycle.
pub(crate) fn orchestration_order(all: &[Orchestration]) -> Result<Vec<&Orchestration>> {
    let known: BTreeSet<u64> = all.iter().map(|o| o.id.0).collect();
    for o in all {
        for child in o.tasks.iter().filter_map(|t| t.orchestration_id) {
            if !known.contains(&child.0) {
                return Err(MigrateError::snapshot(
                    paths::ORCHESTRATIONS,
                    format!("orchestration {} runs orchestration {child}, which the snapshot does not have", o.id),
                ));
            }
        }
    }
    let mut done: HashSet<u64> = HashSet::new();
    let mut order = Vec::new();
    let mut left: Vec<&Orchestration> = all.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|o| {
            let ready = o
                .tasks
                .iter()
                .filter_map(|t| t.orchestration_id)
                .all(|child| done.contains(&child.0));
            if ready {
                done.insert(o.id.0);
                order.push(*o);
            }
            !ready
        });
        if left.len() == before {
            return Err(MigrateError::snapshot(
                paths::ORCHESTRATIONS,
                format!(
                    "orchestrations {} run each other in a cycle",
                    left.iter()
                        .map(|o| o.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(order)
}
