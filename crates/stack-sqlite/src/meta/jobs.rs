//! The job queue: one row per job in `jobs`.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{JobMode, JobStatus, TokenRef};
use stackport_model::{JobId, ProjectId, TokenId};
use stackport_stack::store::{Claim, JobQueue, JobRecord, JobScan, NewJobRecord};
use stackport_stack::Result;

use crate::row::{from_json, parse_column, to_json};
use crate::SqliteTx;

const COLUMNS: &str = "id, project_id, run_id, parent_run_id, component, config, config_row_ids, \
    status, desired_status, created, started, ended, result, token_id, token_description, \
    triggered_by, mode";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    let status: String = r.get(7)?;
    Ok(JobRecord {
        id: JobId(r.get(0)?),
        project: ProjectId(r.get(1)?),
        run_id: r.get(2)?,
        parent_run_id: r.get(3)?,
        component: parse_column(r, 4)?,
        config: r.get(5)?,
        config_row_ids: from_json(&r.get::<_, String>(6)?)?,
        status: JobStatus::parse(&status).unwrap_or(JobStatus::Error),
        desired_status: r.get(8)?,
        created: r.get(9)?,
        started: r.get(10)?,
        ended: r.get(11)?,
        result: from_json(&r.get::<_, String>(12)?)?,
        token: TokenRef {
            id: TokenId(r.get(13)?),
            description: r.get(14)?,
        },
        triggered_by: r.get(15)?,
        mode: match r.get::<_, String>(16)?.as_str() {
            "dryRun" => JobMode::DryRun,
            _ => JobMode::Run,
        },
    })
}

impl JobQueue for SqliteTx<'_> {
    fn insert_job(&mut self, new: &NewJobRecord<'_>) -> Result<JobId> {
        self.conn.execute(
            "INSERT INTO jobs (project_id, run_id, parent_run_id, component, config, \
             config_row_ids, status, desired_status, created, result, token_id, \
             token_description, triggered_by, mode) \
             VALUES (?1, '', ?2, ?3, ?4, ?5, 'waiting', 'processing', ?6, '{}', ?7, ?8, ?9, ?10)",
            params![
                new.project.0,
                new.parent_run_id,
                new.component.as_str(),
                new.config,
                to_json(&new.config_row_ids),
                new.created_micros,
                new.token.id.0,
                new.token.description,
                new.triggered_by,
                new.mode.as_str(),
            ],
        )?;
        Ok(JobId(self.conn.last_insert_rowid() as u64))
    }

    fn set_run_id(&mut self, id: JobId, run_id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET run_id = ?2 WHERE id = ?1",
            params![id.0, run_id],
        )?;
        Ok(())
    }

    fn get_job(&mut self, id: JobId) -> Result<Option<JobRecord>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"))?
            .query_row([id.0], from_row)
            .optional()?)
    }

    fn scan_jobs(
        &mut self,
        project: ProjectId,
        scan: &JobScan<'_>,
        visit: &mut dyn FnMut(JobRecord) -> bool,
    ) -> Result<()> {
        let run_prefix = scan.run.map(|r| format!("{r}."));
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE project_id = ?1 AND (?2 IS NULL OR component = ?2) \
             AND (?3 IS NULL OR config = ?3) AND (?4 IS NULL OR status = ?4) \
             AND (?5 IS NULL OR run_id = ?5 OR substr(run_id, 1, length(?6)) = ?6) \
             AND (?7 IS NULL OR token_id = ?7) ORDER BY id DESC"
        ))?;
        let mut rows = stmt.query(params![
            project.0,
            scan.component,
            scan.config,
            scan.status.map(|s| s.as_str()),
            scan.run,
            run_prefix,
            scan.token.map(|t| t.0),
        ])?;
        while let Some(r) = rows.next()? {
            if !visit(from_row(r)?) {
                break;
            }
        }
        Ok(())
    }

    fn processing_jobs(&mut self) -> Result<Vec<JobRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM jobs WHERE status = 'processing' ORDER BY id"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn claim_job(&mut self, claim: &Claim<'_>) -> Result<Option<JobRecord>> {
        // One statement under the write transaction: the choice and the mark cannot be split
        // by another writer.
        let id: Option<u64> = self
            .conn
            .query_row(
                "UPDATE jobs SET status = 'processing', started = ?1 \
                 WHERE id = ( \
                    SELECT w.id FROM jobs w WHERE w.status = 'waiting' \
                    AND (w.component = ?3 OR ( \
                        SELECT count(*) FROM jobs r WHERE r.status = 'processing' \
                        AND r.project_id = w.project_id AND r.component != ?3) < ?2) \
                    ORDER BY w.id LIMIT 1) \
                 RETURNING id",
                params![
                    claim.started_micros,
                    claim.per_project as i64,
                    claim.uncapped_component
                ],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.get_job(JobId(id)),
            None => Ok(None),
        }
    }

    fn requeue_job(&mut self, id: JobId) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE jobs SET status = 'waiting', started = NULL \
             WHERE id = ?1 AND status = 'processing'",
            [id.0],
        )? > 0)
    }

    fn finish_job(
        &mut self,
        id: JobId,
        status: JobStatus,
        result: &serde_json::Value,
        ended_micros: i64,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE jobs SET status = ?2, ended = ?3, result = ?4 \
             WHERE id = ?1 AND status = 'processing'",
            params![id.0, status.as_str(), ended_micros, to_json(result)],
        )? > 0)
    }

    fn cancel_waiting_job(
        &mut self,
        id: JobId,
        result: &serde_json::Value,
        ended_micros: i64,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE jobs SET status = 'cancelled', desired_status = 'terminating', ended = ?2, \
             result = ?3 WHERE id = ?1 AND status = 'waiting'",
            params![id.0, ended_micros, to_json(result)],
        )? > 0)
    }

    fn cancel_waiting_children(
        &mut self,
        parent_run_id: &str,
        result: &serde_json::Value,
        ended_micros: i64,
    ) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE jobs SET status = 'cancelled', ended = ?2, result = ?3 \
             WHERE status = 'waiting' AND parent_run_id = ?1",
            params![parent_run_id, ended_micros, to_json(result)],
        )?)
    }

    fn request_stop(&mut self, id: JobId) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE jobs SET desired_status = 'terminating' WHERE id = ?1",
            [id.0],
        )? > 0)
    }
}
