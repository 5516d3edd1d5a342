//! Storage jobs: one row per job in `storage_jobs`.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{StorageJobError, StorageJobStatus, StorageOperation, TokenRef};
use stackport_model::{ProjectId, StorageJobId, TokenId};
use stackport_stack::store::{
    NewStorageJobRecord, StorageJobEnd, StorageJobRecord, StorageJobStore,
};
use stackport_stack::Result;

use crate::row::{from_json, to_json};
use crate::SqliteTx;

const COLUMNS: &str = "id, project_id, operation, object_id, params, status, results, \
    error_code, error_message, created, started, ended, token_id, token_description";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StorageJobRecord> {
    let operation: String = r.get(2)?;
    let status: String = r.get(5)?;
    let code: Option<String> = r.get(7)?;
    let message: Option<String> = r.get(8)?;
    Ok(StorageJobRecord {
        id: StorageJobId(r.get(0)?),
        project: ProjectId(r.get(1)?),
        operation: StorageOperation::parse(&operation).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Text,
                format!("unknown storage operation '{operation}'").into(),
            )
        })?,
        object_id: r.get(3)?,
        params: from_json(&r.get::<_, String>(4)?)?,
        status: StorageJobStatus::parse(&status).unwrap_or(StorageJobStatus::Error),
        results: from_json(&r.get::<_, String>(6)?)?,
        error: code.map(|code| StorageJobError {
            code,
            message: message.unwrap_or_default(),
        }),
        created: r.get(9)?,
        started: r.get(10)?,
        ended: r.get(11)?,
        token: TokenRef {
            id: TokenId(r.get(12)?),
            description: r.get(13)?,
        },
    })
}

impl StorageJobStore for SqliteTx<'_> {
    fn insert_storage_job(&mut self, new: &NewStorageJobRecord<'_>) -> Result<StorageJobId> {
        self.conn.execute(
            "INSERT INTO storage_jobs (project_id, operation, object_id, params, status, \
             results, created, token_id, token_description) \
             VALUES (?1, ?2, ?3, ?4, 'waiting', 'null', ?5, ?6, ?7)",
            params![
                new.project.0,
                new.operation.as_str(),
                new.object_id,
                to_json(new.params),
                new.created_micros,
                new.token.id.0,
                new.token.description,
            ],
        )?;
        Ok(StorageJobId(self.conn.last_insert_rowid() as u64))
    }

    fn get_storage_job(
        &mut self,
        project: ProjectId,
        id: StorageJobId,
    ) -> Result<Option<StorageJobRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM storage_jobs WHERE id = ?1 AND project_id = ?2"
            ))?
            .query_row(params![id.0, project.0], from_row)
            .optional()?)
    }

    fn list_storage_jobs(
        &mut self,
        project: ProjectId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<StorageJobRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM storage_jobs WHERE project_id = ?1 \
             ORDER BY id DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(params![project.0, limit, offset], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn claim_storage_job(&mut self, started_micros: i64) -> Result<Option<StorageJobRecord>> {
        // One statement under the write transaction: the choice and the mark cannot be split
        // by another worker.
        let id: Option<u64> = self
            .conn
            .query_row(
                "UPDATE storage_jobs SET status = 'processing', started = ?1 \
                 WHERE id = ( \
                    SELECT w.id FROM storage_jobs w WHERE w.status = 'waiting' \
                    AND NOT EXISTS (SELECT 1 FROM storage_jobs r \
                        WHERE r.status = 'processing' AND r.project_id = w.project_id) \
                    AND w.id = (SELECT min(f.id) FROM storage_jobs f \
                        WHERE f.status = 'waiting' AND f.project_id = w.project_id) \
                    ORDER BY w.id LIMIT 1) \
                 RETURNING id",
                [started_micros],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM storage_jobs WHERE id = ?1"))?
            .query_row([id], from_row)
            .optional()?)
    }

    fn finish_storage_job(&mut self, id: StorageJobId, end: &StorageJobEnd<'_>) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE storage_jobs SET status = ?2, results = ?3, error_code = ?4, \
             error_message = ?5, ended = ?6 WHERE id = ?1 AND status = 'processing'",
            params![
                id.0,
                end.status.as_str(),
                to_json(end.results),
                end.error.map(|e| e.code.as_str()),
                end.error.map(|e| e.message.as_str()),
                end.ended_micros,
            ],
        )? > 0)
    }

    fn processing_storage_jobs(&mut self) -> Result<Vec<StorageJobRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM storage_jobs WHERE status = 'processing' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn count_storage_jobs(&mut self, project: ProjectId) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM storage_jobs WHERE project_id = ?1",
            [project.0],
            |r| r.get(0),
        )?)
    }
}
