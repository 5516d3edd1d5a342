//! Events: one for every write, in the same transaction as the write where the write is in
//! the metadata database.

use rusqlite::{params, Connection};
use stackport_model::api::{Event, TokenRef};
use stackport_model::{EventId, ProjectId, TokenId};

use super::auth::TokenAuth;
use crate::error::{Error, Result};
use crate::store::{from_json, to_json};
use crate::Stack;

/// An event to record.
pub(crate) struct NewEvent {
    pub event: &'static str,
    pub message: String,
    pub object_type: &'static str,
    pub object_id: String,
    pub params: serde_json::Value,
}

/// Records `event` for `project`, caused by `by` (none for the stack administrator).
pub(crate) fn record(
    conn: &Connection,
    project: ProjectId,
    by: Option<&TokenRef>,
    event: NewEvent,
) -> Result<()> {
    record_at_level(conn, project, by, "info", event)
}

/// [`record`] with a level other than `info`: `warn` or `error` (a job's log uses them).
pub(crate) fn record_at_level(
    conn: &Connection,
    project: ProjectId,
    by: Option<&TokenRef>,
    level: &str,
    event: NewEvent,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (project_id, event, type, message, object_type, object_id, created, token_id,
         token_description, params) VALUES (?1, ?2, ?10, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        project.0,
        event.event,
        event.message,
        event.object_type,
        event.object_id,
        super::now_micros(),
        by.map(|t| t.id.0),
        by.map(|t| t.description.clone()),
        to_json(&event.params),
        level,
    ])?;
    Ok(())
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events about objects of this type.
    pub object_type: Option<String>,
    /// Only events about this object.
    pub object_id: Option<String>,
    /// Only events newer than this one.
    pub since_id: Option<EventId>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

impl Stack {
    /// Lists events of the token's project, newest first. A token limited to some buckets sees
    /// the events of those buckets and their tables, and its own.
    pub fn list_events(&self, auth: &TokenAuth, filter: &EventFilter) -> Result<Vec<Event>> {
        let limit = filter.limit.unwrap_or(100);
        if limit == 0 || limit > 1000 {
            return Err(Error::invalid(
                "storage.events.invalidLimit",
                "limit must be from 1 to 1000",
            ));
        }
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, event, type, message, object_type, object_id, created, token_id, token_description, params
                 FROM events WHERE project_id = ?1 AND (?2 IS NULL OR object_type = ?2)
                 AND (?3 IS NULL OR object_id = ?3) AND id > ?4 ORDER BY id DESC",
            )?;
            let mut rows = stmt.query(params![
                auth.project().0,
                filter.object_type,
                filter.object_id,
                filter.since_id.map_or(0, |e| e.0)
            ])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let token_id: Option<u64> = r.get(7)?;
                let event = Event {
                    id: EventId(r.get(0)?),
                    event: r.get(1)?,
                    kind: r.get(2)?,
                    message: r.get(3)?,
                    object_type: r.get(4)?,
                    object_id: r.get(5)?,
                    created: super::time(r.get(6)?),
                    token: token_id.map(|id| TokenRef {
                        id: TokenId(id),
                        description: r.get::<_, Option<String>>(8).ok().flatten().unwrap_or_default(),
                    }),
                    params: from_json(&r.get::<_, String>(9)?)?,
                };
                if visible(auth, &event) {
                    out.push(event);
                    if out.len() >= limit as usize {
                        break;
                    }
                }
            }
            Ok(out)
        })
    }
}

fn visible(auth: &TokenAuth, event: &Event) -> bool {
    if auth.all_buckets()
        || event
            .token
            .as_ref()
            .is_some_and(|t| t.id == auth.token_id())
    {
        return true;
    }
    let bucket = match event.object_type.as_str() {
        "bucket" => event.object_id.parse().ok(),
        "table" => event
            .object_id
            .parse::<stackport_model::TableId>()
            .ok()
            .map(|t| t.bucket().clone()),
        _ => None,
    };
    bucket.is_some_and(|b| auth.bucket_permission(&b).is_some())
}
