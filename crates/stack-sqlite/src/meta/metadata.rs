//! Key-value metadata, one row per object, provider and key in `metadata`; objects are named
//! by kind (`object_type`) and key (`object_id`), a column's key being `<table id>.<column>`.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{MetadataEntry, MetadataKeyValue};
use stackport_model::{MetadataId, ProjectId};
use stackport_stack::store::{MetadataEntries, MetadataObject, MetadataScope};
use stackport_stack::Result;

use crate::SqliteTx;

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MetadataEntry> {
    Ok(MetadataEntry {
        id: MetadataId(r.get(0)?),
        provider: r.get(1)?,
        key: r.get(2)?,
        value: r.get(3)?,
        timestamp: stackport_model::time::from_micros(r.get(4)?),
    })
}

/// `text` for a LIKE pattern with `\` as the escape.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl MetadataEntries for SqliteTx<'_> {
    fn list_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
    ) -> Result<Vec<MetadataEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, provider, key, value, timestamp FROM metadata \
             WHERE project_id = ?1 AND object_type = ?2 AND object_id = ?3 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![project.0, object.kind(), object.key()], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn upsert_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
        provider: &str,
        entries: &[MetadataKeyValue],
        now_micros: i64,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO metadata (project_id, object_type, object_id, provider, key, value, \
             timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (project_id, object_type, object_id, provider, key) \
             DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp",
        )?;
        let (kind, key) = (object.kind(), object.key());
        for e in entries {
            stmt.execute(params![
                project.0, kind, key, provider, e.key, e.value, now_micros
            ])?;
        }
        Ok(())
    }

    fn get_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
        id: MetadataId,
    ) -> Result<Option<MetadataEntry>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, provider, key, value, timestamp FROM metadata \
                 WHERE id = ?1 AND project_id = ?2 AND object_type = ?3 AND object_id = ?4",
            )?
            .query_row(
                params![id.0, project.0, object.kind(), object.key()],
                from_row,
            )
            .optional()?)
    }

    fn delete_metadata(
        &mut self,
        project: ProjectId,
        object: &MetadataObject,
        id: MetadataId,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM metadata \
             WHERE id = ?1 AND project_id = ?2 AND object_type = ?3 AND object_id = ?4",
            params![id.0, project.0, object.kind(), object.key()],
        )? > 0)
    }

    fn delete_metadata_of(&mut self, project: ProjectId, scope: MetadataScope<'_>) -> Result<u64> {
        let deleted = match scope {
            MetadataScope::Object(object) => self.conn.execute(
                "DELETE FROM metadata \
                 WHERE project_id = ?1 AND object_type = ?2 AND object_id = ?3",
                params![project.0, object.kind(), object.key()],
            )?,
            // A column's key is the table's id, '.', and a name without '.'.
            MetadataScope::Table(table) => self.conn.execute(
                "DELETE FROM metadata WHERE project_id = ?1 \
                 AND ((object_type = 'table' AND object_id = ?2) \
                 OR (object_type = 'column' AND substr(object_id, 1, length(?2) + 1) = ?2 || '.' \
                 AND instr(substr(object_id, length(?2) + 2), '.') = 0))",
                params![project.0, table.to_string()],
            )?,
            MetadataScope::Bucket(bucket) => {
                let bucket = bucket.to_string();
                self.conn.execute(
                    "DELETE FROM metadata WHERE project_id = ?1 \
                     AND ((object_type = 'bucket' AND object_id = ?2) \
                     OR (object_type IN ('table', 'column') AND object_id LIKE ?3 ESCAPE '\\'))",
                    params![project.0, bucket, format!("{}.%", like_escaped(&bucket))],
                )?
            }
        };
        Ok(deleted as u64)
    }
}
