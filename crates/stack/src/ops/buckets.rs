//! Buckets: the folders of Storage, `in.c-…` and `out.c-…`.

use std::collections::HashMap;

use serde_json::json;
use stackport_model::api::{Bucket, BucketPermission, NewBucket};
use stackport_model::{BucketId, ProjectId, TableId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::backend::{PhysicalName, TableStats};
use crate::error::{Error, Result};
use crate::store::{BucketRecord, MetadataObject, MetadataScope, NewBucketRecord, Tx};
use crate::Stack;

pub(crate) fn bucket_not_found(id: &BucketId) -> Error {
    Error::not_found(
        "storage.buckets.notFound",
        format!("bucket {id} not found in this project"),
    )
}

/// Loads a bucket of `project`, or 404.
pub(crate) fn load_bucket(
    tx: &mut Tx<'_>,
    project: ProjectId,
    id: &BucketId,
) -> Result<BucketRecord> {
    tx.buckets()
        .get_bucket(project, id)?
        .ok_or_else(|| bucket_not_found(id))
}

/// Marks a bucket as changed at the transaction's time (a table was created, altered or
/// removed in it, or got rows).
pub(crate) fn touch_bucket(tx: &mut Tx<'_>, project: ProjectId, id: &BucketId) -> Result<()> {
    let now = tx.now_micros();
    tx.buckets().touch_bucket(project, id, now)
}

/// What a bucket shows of its tables' rows: their sums, and the latest of its own change and
/// theirs.
fn bucket_figures(
    bucket: &BucketRecord,
    tables: &[(TableId, PhysicalName)],
    stats: &HashMap<String, TableStats>,
) -> (u64, u64, i64) {
    let mut rows = 0;
    let mut size = 0;
    let mut last_change = bucket.last_change_micros;
    for (table, physical) in tables {
        if table.bucket() == &bucket.id {
            if let Some(s) = stats.get(physical.as_str()) {
                rows += s.rows_count;
                size += s.data_size_bytes;
                last_change = last_change.max(s.last_change_micros);
            }
        }
    }
    (rows, size, last_change)
}

fn bucket_to_api(
    stack: &Stack,
    tx: &mut Tx<'_>,
    project: ProjectId,
    b: BucketRecord,
    stats: &HashMap<String, TableStats>,
    tables: &[(TableId, PhysicalName)],
    with_metadata: bool,
) -> Result<Bucket> {
    let (rows, size, last_change) = bucket_figures(&b, tables, stats);
    let metadata = if with_metadata {
        Some(
            tx.metadata()
                .list_metadata(project, &MetadataObject::Bucket(b.id.clone()))?,
        )
    } else {
        None
    };
    Ok(Bucket {
        uri: stack.storage_url(&format!("buckets/{}", b.id)),
        tables: stack.storage_url(&format!("buckets/{}/tables", b.id)),
        attributes: Vec::new(),
        name: format!("c-{}", b.id.name()),
        stage: b.id.stage(),
        display_name: b.display_name,
        description: b.description,
        backend: b.backend,
        created: super::time(b.created_micros),
        last_change_date: super::time(last_change),
        rows_count: rows,
        data_size_bytes: size,
        metadata,
        id: b.id,
    })
}

impl Stack {
    /// The buckets the token can see.
    pub fn list_buckets(&self, auth: &TokenAuth, with_metadata: bool) -> Result<Vec<Bucket>> {
        let project = self.get_project(auth.project())?;
        let stats = self.project_backend(&project)?.stats_all(project.id)?;
        self.store.read(|tx| {
            let tables = tx.tables().physical_names(project.id)?;
            let records = tx.buckets().list_buckets(project.id)?;
            records
                .into_iter()
                .filter(|b| auth.bucket_permission(&b.id).is_some())
                .map(|b| bucket_to_api(self, tx, project.id, b, &stats, &tables, with_metadata))
                .collect()
        })
    }

    /// One bucket.
    pub fn get_bucket(&self, auth: &TokenAuth, id: &BucketId) -> Result<Bucket> {
        let project = self.get_project(auth.project())?;
        let stats = self.project_backend(&project)?.stats_all(project.id)?;
        self.store.read(|tx| {
            let b = load_bucket(tx, project.id, id)?;
            auth.require_bucket(id, BucketPermission::Read)?;
            let tables = tx.tables().physical_names(project.id)?;
            bucket_to_api(self, tx, project.id, b, &stats, &tables, true)
        })
    }

    /// Creates a bucket (needs `canManageBuckets`).
    pub fn create_bucket(&self, auth: &TokenAuth, new: &NewBucket) -> Result<Bucket> {
        auth.require_manage_buckets()?;
        let id = BucketId::new(new.stage, &new.name)?;
        let project = self.get_project(auth.project())?;
        let backend = new
            .backend
            .clone()
            .unwrap_or_else(|| project.backend.clone());
        if backend != project.backend {
            return Err(Error::invalid(
                "storage.buckets.backendMismatch",
                format!(
                    "project {} stores tables in '{}', a bucket cannot use '{backend}'",
                    project.id, project.backend
                ),
            ));
        }
        let display_name = new
            .display_name
            .clone()
            .unwrap_or_else(|| id.name().to_string());
        let by = auth.token_ref();
        self.store.write(|tx| {
            let taken = tx
                .buckets()
                .bucket_name_taken(project.id, &id, &display_name)?;
            if let Some(existing) = taken {
                return Err(Error::conflict(
                    "storage.buckets.alreadyExists",
                    format!(
                        "bucket {id} conflicts with the existing bucket {existing} \
                         (same id or display name)"
                    ),
                ));
            }
            let created_micros = tx.now_micros();
            tx.buckets().insert_bucket(
                project.id,
                &NewBucketRecord {
                    id: &id,
                    display_name: &display_name,
                    description: new.description.as_deref().unwrap_or_default(),
                    backend: &backend,
                    created_micros,
                },
            )?;
            record(
                tx,
                project.id,
                Some(&by),
                NewEvent {
                    event: "storage.bucketCreated",
                    message: format!("Bucket {id} created"),
                    object_type: "bucket",
                    object_id: id.to_string(),
                    params: json!({}),
                },
            )?;
            Ok(())
        })?;
        self.get_bucket(auth, &id)
    }

    /// Deletes a bucket (needs `canManageBuckets`); one with tables only with `force`.
    pub fn delete_bucket(&self, auth: &TokenAuth, id: &BucketId, force: bool) -> Result<()> {
        let project = self.get_project(auth.project())?;
        let tables = self.store.read(|tx| {
            load_bucket(tx, project.id, id)?;
            tx.tables().list_tables(project.id, Some(id))
        })?;
        auth.require_manage_buckets()?;
        if !tables.is_empty() && !force {
            return Err(Error::invalid(
                "storage.buckets.notEmpty",
                format!(
                    "bucket {id} still has {} table(s) ({}); delete them first or pass force=true",
                    tables.len(),
                    tables
                        .iter()
                        .take(5)
                        .map(|t| t.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let by = auth.token_ref();
        self.store.write(|tx| {
            // Aliases elsewhere that read from this bucket's tables would dangle.
            if let Some(alias) = tx.tables().alias_into_bucket(project.id, id)? {
                return Err(Error::invalid(
                    "storage.buckets.hasAliases",
                    format!(
                        "alias {alias} reads from a table in bucket {id}; delete the alias first"
                    ),
                ));
            }
            tx.metadata()
                .delete_metadata_of(project.id, MetadataScope::Bucket(id))?;
            tx.tables().delete_bucket_tables(project.id, id)?;
            tx.buckets().delete_bucket(project.id, id)?;
            record(
                tx,
                project.id,
                Some(&by),
                NewEvent {
                    event: "storage.bucketDeleted",
                    message: format!("Bucket {id} deleted"),
                    object_type: "bucket",
                    object_id: id.to_string(),
                    params: json!({ "tables": tables.iter().map(|t| &t.id).collect::<Vec<_>>() }),
                },
            )
        })?;
        let backend = self.project_backend(&project)?;
        for table in tables.iter().filter(|t| t.alias.is_none()) {
            if let Err(e) = backend.drop_table(project.id, &table.physical) {
                // The catalog no longer names it, so it is unreachable; the next start's
                // sweep drops it. Log and go on.
                tracing::warn!(
                    table = %table.id,
                    error = %e,
                    "dropping the data of a deleted table failed"
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackport_model::Stage;

    fn stats(rows: u64, size: u64, last_change: i64) -> TableStats {
        TableStats {
            rows_count: rows,
            data_size_bytes: size,
            last_change_micros: last_change,
            ..Default::default()
        }
    }

    #[test]
    fn a_bucket_sums_only_its_own_tables() {
        let mine = BucketId::new(Stage::In, "c-mine").unwrap();
        let other = BucketId::new(Stage::In, "c-other").unwrap();
        let bucket = BucketRecord {
            id: mine.clone(),
            display_name: "mine".into(),
            description: String::new(),
            backend: "sqlite".into(),
            created_micros: 10,
            last_change_micros: 20,
        };
        let table = |b: &BucketId, n: &str, p: &str| {
            (
                TableId::new(b.clone(), n).unwrap(),
                PhysicalName::from_stored(p.into()),
            )
        };
        let tables = [
            table(&mine, "a", "t_a"),
            table(&mine, "b", "t_b"),
            table(&other, "c", "t_c"),
            table(&mine, "empty", "t_none"),
        ];
        let stats = HashMap::from([
            ("t_a".to_string(), stats(2, 30, 15)),
            ("t_b".to_string(), stats(3, 40, 25)),
            ("t_c".to_string(), stats(100, 1000, 99)),
        ]);
        assert_eq!(bucket_figures(&bucket, &tables, &stats), (5, 70, 25));
        assert_eq!(
            bucket_figures(&bucket, &tables[2..], &stats),
            (0, 0, 20),
            "without tables the bucket's own last change counts"
        );
    }
}
