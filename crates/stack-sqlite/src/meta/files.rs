//! The records of Storage files (their bytes are behind the file seam).

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{FileInfo, FileSlice, TokenRef};
use stackport_model::{FileId, ProjectId, TokenId};
use stackport_stack::store::{FileRecords, FileScan, NewFileRecord};
use stackport_stack::Result;

use crate::row::{from_json, to_json};
use crate::SqliteTx;

const COLUMNS: &str = "id, name, size_bytes, sha256, tags, is_permanent, max_age_days, created, \
                       expires, creator_token_id, creator_description, slices IS NOT NULL";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FileInfo> {
    let creator: Option<u64> = r.get(9)?;
    Ok(FileInfo {
        id: FileId(r.get(0)?),
        name: r.get(1)?,
        size_bytes: r.get::<_, i64>(2)? as u64,
        sha256: r.get(3)?,
        tags: from_json(&r.get::<_, String>(4)?)?,
        is_permanent: r.get(5)?,
        max_age_days: r.get(6)?,
        created: stackport_model::time::from_micros(r.get(7)?),
        expires: r
            .get::<_, Option<i64>>(8)?
            .map(stackport_model::time::from_micros),
        creator_token: creator.map(|id| TokenRef {
            id: TokenId(id),
            description: r
                .get::<_, Option<String>>(10)
                .ok()
                .flatten()
                .unwrap_or_default(),
        }),
        is_sliced: r.get(11)?,
    })
}

impl FileRecords for SqliteTx<'_> {
    fn insert_file(&mut self, new: &NewFileRecord<'_>) -> Result<FileId> {
        self.conn
            .prepare_cached(
                "INSERT INTO files (project_id, name, size_bytes, sha256, tags, is_permanent, \
                 max_age_days, created, expires, creator_token_id, creator_description, prepared, slices) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                new.project.0,
                new.name,
                new.size_bytes as i64,
                new.sha256,
                to_json(&new.tags),
                new.is_permanent,
                new.max_age_days,
                new.created_micros,
                new.expires_micros,
                new.creator.id.0,
                new.creator.description,
                new.prepared,
                new.sliced.then_some("[]"),
            ])?;
        Ok(FileId(self.conn.last_insert_rowid() as u64))
    }

    fn complete_prepared_file(
        &mut self,
        project: ProjectId,
        id: FileId,
        size_bytes: u64,
        sha256: &str,
        expires_micros: Option<i64>,
        slices: &[FileSlice],
    ) -> Result<bool> {
        // A file prepared sliced stays sliced (its slices are set), any other stays NULL.
        Ok(self.conn.execute(
            "UPDATE files SET prepared = 0, size_bytes = ?3, sha256 = ?4, expires = ?5, \
             slices = CASE WHEN slices IS NULL THEN NULL ELSE ?6 END \
             WHERE project_id = ?1 AND id = ?2 AND prepared = 1",
            params![
                project.0,
                id.0,
                size_bytes as i64,
                sha256,
                expires_micros,
                to_json(&slices)
            ],
        )? > 0)
    }

    fn file_slices(&mut self, project: ProjectId, id: FileId) -> Result<Option<Vec<FileSlice>>> {
        let slices: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT slices FROM files WHERE project_id = ?1 AND id = ?2")?
            .query_row(params![project.0, id.0], |r| r.get(0))
            .optional()?;
        match slices.flatten() {
            Some(json) => Ok(Some(from_json(&json)?)),
            None => Ok(None),
        }
    }

    fn get_prepared_file(&mut self, project: ProjectId, id: FileId) -> Result<Option<FileInfo>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM files WHERE project_id = ?1 AND id = ?2 AND prepared = 1"
            ))?
            .query_row(params![project.0, id.0], from_row)
            .optional()?)
    }

    fn get_file(&mut self, project: ProjectId, id: FileId) -> Result<Option<FileInfo>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM files WHERE project_id = ?1 AND id = ?2 AND prepared = 0"
            ))?
            .query_row(params![project.0, id.0], from_row)
            .optional()?)
    }

    fn scan_files(
        &mut self,
        project: ProjectId,
        scan: &FileScan,
        visit: &mut dyn FnMut(FileInfo) -> bool,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM files WHERE project_id = ?1 AND prepared = 0 \
             AND (expires IS NULL OR expires > ?2) \
             AND (?3 IS NULL OR creator_token_id = ?3) ORDER BY id DESC"
        ))?;
        let mut rows = stmt.query(params![
            project.0,
            scan.unexpired_at_micros,
            scan.created_by.map(|t| t.0)
        ])?;
        while let Some(row) = rows.next()? {
            if !visit(from_row(row)?) {
                break;
            }
        }
        Ok(())
    }

    fn stored_file_bytes(&mut self, project: ProjectId) -> Result<u64> {
        let bytes: i64 = self.conn.query_row(
            "SELECT COALESCE(SUM(size_bytes), 0) FROM files WHERE project_id = ?1",
            [project.0],
            |r| r.get(0),
        )?;
        Ok(bytes as u64)
    }

    fn file_ids(&mut self, project: ProjectId) -> Result<Vec<FileId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM files WHERE project_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([project.0], |r| Ok(FileId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn delete_file(&mut self, project: ProjectId, id: FileId) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM files WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.0],
        )? > 0)
    }

    fn delete_expired_files(&mut self, now_micros: i64) -> Result<Vec<(ProjectId, FileId)>> {
        let mut stmt = self.conn.prepare_cached(
            "DELETE FROM files WHERE expires IS NOT NULL AND expires <= ?1 \
             RETURNING project_id, id",
        )?;
        let rows = stmt.query_map([now_micros], |r| {
            Ok((ProjectId(r.get(0)?), FileId(r.get(1)?)))
        })?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        out.sort();
        Ok(out)
    }
}
