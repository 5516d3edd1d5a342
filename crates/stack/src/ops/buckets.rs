//! Buckets: the folders of Storage, `in.c-…` and `out.c-…`.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};
use serde_json::json;
use stackport_model::api::{Bucket, BucketPermission, NewBucket};
use stackport_model::{BucketId, ProjectId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use super::metadata::{load_metadata, MetadataObject};
use crate::backend::TableStats;
use crate::error::{Error, Result};
use crate::store::Tx;
use crate::Stack;

/// A bucket as stored.
#[derive(Debug, Clone)]
pub(crate) struct BucketRecord {
    pub id: BucketId,
    pub display_name: String,
    pub description: String,
    pub backend: String,
    pub created: i64,
    pub last_change: i64,
}

const BUCKET_COLUMNS: &str = "id, display_name, description, backend, created, last_change";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BucketRecord> {
    Ok(BucketRecord {
        id: crate::store::sqlrow::parse_column(r, 0)?,
        display_name: r.get(1)?,
        description: r.get(2)?,
        backend: r.get(3)?,
        created: r.get(4)?,
        last_change: r.get(5)?,
    })
}

pub(crate) fn bucket_not_found(id: &BucketId) -> Error {
    Error::not_found(
        "storage.buckets.notFound",
        format!("bucket {id} not found in this project"),
    )
}

/// Loads a bucket of `project`, or 404.
pub(crate) fn load_bucket(
    c: &mut Tx<'_>,
    project: ProjectId,
    id: &BucketId,
) -> Result<BucketRecord> {
    c.sql()
        .query_row(
            &format!("SELECT {BUCKET_COLUMNS} FROM buckets WHERE project_id = ?1 AND id = ?2"),
            params![project.0, id.to_string()],
            from_row,
        )
        .optional()?
        .ok_or_else(|| bucket_not_found(id))
}

impl Stack {
    fn bucket_to_api(
        &self,
        c: &mut Tx<'_>,
        project: ProjectId,
        b: BucketRecord,
        stats: &HashMap<String, TableStats>,
        tables: &[(String, String)],
        with_metadata: bool,
    ) -> Result<Bucket> {
        let bucket_id = b.id.to_string();
        let mut rows = 0;
        let mut size = 0;
        let mut last_change = b.last_change;
        for (table_bucket, physical) in tables {
            if *table_bucket == bucket_id {
                if let Some(s) = stats.get(physical) {
                    rows += s.rows_count;
                    size += s.data_size_bytes;
                    last_change = last_change.max(s.last_change_micros);
                }
            }
        }
        let metadata = if with_metadata {
            Some(load_metadata(
                c,
                project,
                &MetadataObject::Bucket(b.id.clone()),
            )?)
        } else {
            None
        };
        Ok(Bucket {
            name: format!("c-{}", b.id.name()),
            stage: b.id.stage(),
            display_name: b.display_name,
            description: b.description,
            backend: b.backend,
            created: super::time(b.created),
            last_change_date: super::time(last_change),
            rows_count: rows,
            data_size_bytes: size,
            metadata,
            id: b.id,
        })
    }

    /// Physical names of the project's real tables (aliases hold no rows), with their bucket ids.
    fn physical_tables(&self, c: &mut Tx<'_>, project: ProjectId) -> Result<Vec<(String, String)>> {
        let mut stmt = c.sql().prepare_cached(
            "SELECT bucket_id, physical FROM tables WHERE project_id = ?1 AND alias_source IS NULL",
        )?;
        let rows = stmt.query_map([project.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The buckets the token can see.
    pub fn list_buckets(&self, auth: &TokenAuth, with_metadata: bool) -> Result<Vec<Bucket>> {
        let project = self.get_project(auth.project())?;
        let stats = self.backend(&project.backend)?.stats_all(project.id)?;
        self.store.read(|c| {
            let tables = self.physical_tables(c, project.id)?;
            let mut stmt = c.sql().prepare(&format!(
                "SELECT {BUCKET_COLUMNS} FROM buckets WHERE project_id = ?1 ORDER BY id"
            ))?;
            let records = stmt
                .query_map([project.id.0], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            records
                .into_iter()
                .filter(|b| auth.bucket_permission(&b.id).is_some())
                .map(|b| self.bucket_to_api(c, project.id, b, &stats, &tables, with_metadata))
                .collect()
        })
    }

    /// One bucket.
    pub fn get_bucket(&self, auth: &TokenAuth, id: &BucketId) -> Result<Bucket> {
        let project = self.get_project(auth.project())?;
        let stats = self.backend(&project.backend)?.stats_all(project.id)?;
        self.store.read(|c| {
            let b = load_bucket(c, project.id, id)?;
            auth.require_bucket(id, BucketPermission::Read)?;
            let tables = self.physical_tables(c, project.id)?;
            self.bucket_to_api(c, project.id, b, &stats, &tables, true)
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
        let now = super::now_micros();
        let by = auth.token_ref();
        self.store.write(|tx| {
            let taken: Option<String> = tx.sql()
                .query_row(
                    "SELECT id FROM buckets WHERE project_id = ?1 AND (lower(id) = lower(?2)
                     OR (stage = ?3 AND display_name = ?4))",
                    params![project.id.0, id.to_string(), id.stage().as_str(), display_name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(existing) = taken {
                return Err(Error::conflict(
                    "storage.buckets.alreadyExists",
                    format!("bucket {id} conflicts with the existing bucket {existing} (same id or display name)"),
                ));
            }
            tx.sql().execute(
                "INSERT INTO buckets (project_id, id, stage, name, display_name, description, backend, created, last_change)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![
                    project.id.0,
                    id.to_string(),
                    id.stage().as_str(),
                    id.name(),
                    display_name,
                    new.description.clone().unwrap_or_default(),
                    backend,
                    now
                ],
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
        let tables: Vec<(String, String, bool)> = self.store.read(|c| {
            load_bucket(c, project.id, id)?;
            let mut stmt = c.sql().prepare(
                "SELECT id, physical, alias_source IS NOT NULL FROM tables WHERE project_id = ?1 AND bucket_id = ?2",
            )?;
            let rows = stmt.query_map(params![project.id.0, id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
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
                        .map(|t| t.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let by = auth.token_ref();
        self.store.write(|tx| {
            // Aliases elsewhere that read from this bucket's tables would dangle.
            let outside: Option<String> = tx.sql()
                .query_row(
                    "SELECT a.id FROM tables a JOIN tables s ON s.project_id = a.project_id AND s.id = a.alias_source
                     WHERE a.project_id = ?1 AND s.bucket_id = ?2 AND a.bucket_id != ?2 LIMIT 1",
                    params![project.id.0, id.to_string()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(alias) = outside {
                return Err(Error::invalid(
                    "storage.buckets.hasAliases",
                    format!("alias {alias} reads from a table in bucket {id}; delete the alias first"),
                ));
            }
            let bucket = id.to_string();
            tx.sql().execute(
                "DELETE FROM metadata WHERE project_id = ?1 AND ((object_type = 'bucket' AND object_id = ?2)
                 OR (object_type IN ('table', 'column') AND object_id LIKE ?3 ESCAPE '\\'))",
                params![project.id.0, bucket, format!("{}.%", bucket.replace('_', "\\_"))],
            )?;
            tx.sql().execute(
                "DELETE FROM tables WHERE project_id = ?1 AND bucket_id = ?2",
                params![project.id.0, bucket],
            )?;
            tx.sql().execute("DELETE FROM buckets WHERE project_id = ?1 AND id = ?2", params![project.id.0, bucket])?;
            record(
                tx,
                project.id,
                Some(&by),
                NewEvent {
                    event: "storage.bucketDeleted",
                    message: format!("Bucket {id} deleted"),
                    object_type: "bucket",
                    object_id: bucket.clone(),
                    params: json!({ "tables": tables.iter().map(|t| &t.0).collect::<Vec<_>>() }),
                },
            )
        })?;
        let backend = self.backend(&project.backend)?;
        for (table, physical, is_alias) in &tables {
            if !is_alias {
                if let Err(e) = backend.drop_table(project.id, physical) {
                    // The catalog no longer names it, so it is unreachable; log and go on.
                    tracing::warn!(table = %table, error = %e, "dropping the data of a deleted table failed");
                }
            }
        }
        Ok(())
    }

    /// Marks a bucket as changed now (a table was created, altered or removed in it).
    pub(crate) fn touch_bucket(tx: &mut Tx<'_>, project: ProjectId, id: &BucketId) -> Result<()> {
        tx.sql().execute(
            "UPDATE buckets SET last_change = ?3 WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.to_string(), super::now_micros()],
        )?;
        Ok(())
    }
}
