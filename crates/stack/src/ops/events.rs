//! Events: one for every write, in the same transaction as the write where the write is in
//! the metadata database.

use stackport_model::api::{Event, TokenRef};
use stackport_model::{EventId, ProjectId};

use super::auth::TokenAuth;
use crate::error::{Error, Result};
use crate::store::{EventScan, NewEventRecord, Tx};
use crate::Stack;

/// An event to record.
pub(crate) struct NewEvent {
    pub event: &'static str,
    pub message: String,
    pub object_type: &'static str,
    pub object_id: String,
    pub params: serde_json::Value,
}

/// Records `event` for `project`, caused by `by` (none for the stack administrator), at the
/// transaction's time.
pub(crate) fn record(
    tx: &mut Tx<'_>,
    project: ProjectId,
    by: Option<&TokenRef>,
    event: NewEvent,
) -> Result<()> {
    record_at_level(tx, project, by, "info", event)
}

/// [`record`] with a level other than `info`: `warn` or `error` (a job's log uses them).
pub(crate) fn record_at_level(
    tx: &mut Tx<'_>,
    project: ProjectId,
    by: Option<&TokenRef>,
    level: &str,
    event: NewEvent,
) -> Result<()> {
    let created_micros = tx.now_micros();
    tx.events().insert_event(&NewEventRecord {
        project,
        event: event.event,
        level,
        message: &event.message,
        object_type: event.object_type,
        object_id: &event.object_id,
        token: by,
        params: &event.params,
        created_micros,
    })?;
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
        let scan = EventScan {
            object_type: filter.object_type.as_deref(),
            object_id: filter.object_id.as_deref(),
            after: filter.since_id,
        };
        self.store.read(|tx| {
            let mut out = Vec::new();
            tx.events()
                .scan_events(auth.project(), &scan, &mut |event| {
                    if visible(auth, &event) {
                        out.push(event);
                    }
                    out.len() < limit as usize
                })?;
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
