//! Buckets of Storage.

use rusqlite::{params, OptionalExtension};
use stackport_model::{BucketId, ProjectId};
use stackport_stack::store::{BucketRecord, BucketStore, NewBucketRecord};
use stackport_stack::Result;

use crate::row::parse_column;
use crate::SqliteTx;

const COLUMNS: &str = "id, display_name, description, backend, created, last_change";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BucketRecord> {
    Ok(BucketRecord {
        id: parse_column(r, 0)?,
        display_name: r.get(1)?,
        description: r.get(2)?,
        backend: r.get(3)?,
        created_micros: r.get(4)?,
        last_change_micros: r.get(5)?,
    })
}

impl BucketStore for SqliteTx<'_> {
    fn insert_bucket(&mut self, project: ProjectId, new: &NewBucketRecord<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO buckets (project_id, id, stage, name, display_name, description, \
             backend, created, last_change) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![
                project.0,
                new.id.to_string(),
                new.id.stage().as_str(),
                new.id.name(),
                new.display_name,
                new.description,
                new.backend,
                new.created_micros
            ],
        )?;
        Ok(())
    }

    fn get_bucket(&mut self, project: ProjectId, id: &BucketId) -> Result<Option<BucketRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM buckets WHERE project_id = ?1 AND id = ?2"
            ))?
            .query_row(params![project.0, id.to_string()], from_row)
            .optional()?)
    }

    fn list_buckets(&mut self, project: ProjectId) -> Result<Vec<BucketRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM buckets WHERE project_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([project.0], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn bucket_name_taken(
        &mut self,
        project: ProjectId,
        id: &BucketId,
        display_name: &str,
    ) -> Result<Option<BucketId>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM buckets WHERE project_id = ?1 AND (lower(id) = lower(?2) \
                 OR (stage = ?3 AND display_name = ?4)) ORDER BY id LIMIT 1",
            )?
            .query_row(
                params![project.0, id.to_string(), id.stage().as_str(), display_name],
                |r| parse_column(r, 0),
            )
            .optional()?)
    }

    fn touch_bucket(&mut self, project: ProjectId, id: &BucketId, now_micros: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE buckets SET last_change = ?3 WHERE project_id = ?1 AND id = ?2",
            )?
            .execute(params![project.0, id.to_string(), now_micros])?;
        Ok(())
    }

    fn delete_bucket(&mut self, project: ProjectId, id: &BucketId) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM buckets WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.to_string()],
        )? > 0)
    }
}
