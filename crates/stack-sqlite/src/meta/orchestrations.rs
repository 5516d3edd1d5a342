//! Orchestrations: one row each in `orchestrations`, notifications and tasks as JSON text.

use rusqlite::{params, OptionalExtension};
use stackport_model::api::{Orchestration, TokenRef};
use stackport_model::{OrchestrationId, ProjectId, TokenId};
use stackport_stack::store::{OrchestrationFields, OrchestrationStore};
use stackport_stack::Result;

use crate::row::{from_json, to_json};
use crate::SqliteTx;

const COLUMNS: &str = "id, name, crontab_record, timezone, active, notifications, tasks, created, \
    token_id, token_description";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Orchestration> {
    Ok(Orchestration {
        id: OrchestrationId(r.get(0)?),
        name: r.get(1)?,
        crontab_record: r.get(2)?,
        timezone: r.get(3)?,
        active: r.get(4)?,
        notifications: from_json(&r.get::<_, String>(5)?)?,
        tasks: from_json(&r.get::<_, String>(6)?)?,
        created: stackport_model::time::from_micros(r.get(7)?),
        token: TokenRef {
            id: TokenId(r.get(8)?),
            description: r.get(9)?,
        },
    })
}

impl OrchestrationStore for SqliteTx<'_> {
    fn insert_orchestration(
        &mut self,
        project: ProjectId,
        f: &OrchestrationFields<'_>,
        created_micros: i64,
    ) -> Result<OrchestrationId> {
        self.conn.execute(
            "INSERT INTO orchestrations (project_id, name, crontab_record, timezone, active, \
             notifications, tasks, created, token_id, token_description) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                project.0,
                f.name,
                f.crontab_record,
                f.timezone,
                f.active,
                to_json(&f.notifications),
                to_json(&f.tasks),
                created_micros,
                f.token.id.0,
                f.token.description
            ],
        )?;
        Ok(OrchestrationId(self.conn.last_insert_rowid() as u64))
    }

    fn get_orchestration(
        &mut self,
        project: ProjectId,
        id: OrchestrationId,
    ) -> Result<Option<Orchestration>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM orchestrations WHERE project_id = ?1 AND id = ?2"
            ))?
            .query_row(params![project.0, id.0], from_row)
            .optional()?)
    }

    fn list_orchestrations(&mut self, project: ProjectId) -> Result<Vec<Orchestration>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM orchestrations WHERE project_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([project.0], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn update_orchestration(
        &mut self,
        project: ProjectId,
        id: OrchestrationId,
        f: &OrchestrationFields<'_>,
    ) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE orchestrations SET name = ?3, crontab_record = ?4, timezone = ?5, \
             active = ?6, notifications = ?7, tasks = ?8, token_id = ?9, token_description = ?10 \
             WHERE project_id = ?1 AND id = ?2",
            params![
                project.0,
                id.0,
                f.name,
                f.crontab_record,
                f.timezone,
                f.active,
                to_json(&f.notifications),
                to_json(&f.tasks),
                f.token.id.0,
                f.token.description,
            ],
        )? > 0)
    }

    fn delete_orchestration(&mut self, project: ProjectId, id: OrchestrationId) -> Result<bool> {
        // `schedule_slots` goes with it (ON DELETE CASCADE).
        Ok(self.conn.execute(
            "DELETE FROM orchestrations WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.0],
        )? > 0)
    }
}
