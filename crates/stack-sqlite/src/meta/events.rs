//! Events: one per write, in the same transaction as the write.

use rusqlite::params;
use stackport_model::api::{Event, TokenRef};
use stackport_model::{EventId, ProjectId, TokenId};
use stackport_stack::store::{EventLog, EventScan, NewEventRecord};
use stackport_stack::Result;

use crate::row::{from_json, to_json};
use crate::SqliteTx;

impl EventLog for SqliteTx<'_> {
    fn insert_event(&mut self, e: &NewEventRecord<'_>) -> Result<EventId> {
        self.conn
            .prepare_cached(
                "INSERT INTO events (project_id, event, type, message, object_type, object_id, \
                 created, token_id, token_description, params) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                e.project.0,
                e.event,
                e.level,
                e.message,
                e.object_type,
                e.object_id,
                e.created_micros,
                e.token.map(|t| t.id.0),
                e.token.map(|t| t.description.as_str()),
                to_json(e.params),
            ])?;
        Ok(EventId(self.conn.last_insert_rowid() as u64))
    }

    fn scan_events(
        &mut self,
        project: ProjectId,
        scan: &EventScan<'_>,
        visit: &mut dyn FnMut(Event) -> bool,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, event, type, message, object_type, object_id, created, token_id, \
             token_description, params FROM events WHERE project_id = ?1 \
             AND (?2 IS NULL OR object_type = ?2) AND (?3 IS NULL OR object_id = ?3) \
             AND id > ?4 ORDER BY id DESC",
        )?;
        let mut rows = stmt.query(params![
            project.0,
            scan.object_type,
            scan.object_id,
            scan.after.map_or(0, |e| e.0)
        ])?;
        while let Some(r) = rows.next()? {
            let token_id: Option<u64> = r.get(7)?;
            let token_description: Option<String> = r.get(8)?;
            let event = Event {
                id: EventId(r.get(0)?),
                event: r.get(1)?,
                kind: r.get(2)?,
                message: r.get(3)?,
                object_type: r.get(4)?,
                object_id: r.get(5)?,
                created: stackport_model::time::from_micros(r.get(6)?),
                token: token_id.map(|id| TokenRef {
                    id: TokenId(id),
                    description: token_description.unwrap_or_default(),
                }),
                params: from_json(&r.get::<_, String>(9)?)?,
            };
            if !visit(event) {
                break;
            }
        }
        Ok(())
    }
}
