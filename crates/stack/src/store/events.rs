//! Events: one per write, in the same transaction as the write.

use stackport_model::api::{Event, TokenRef};
use stackport_model::{EventId, ProjectId};

use crate::error::Result;

/// An event to append; the store mints its id, greater than every id before it.
#[derive(Debug, Clone)]
pub struct NewEventRecord<'a> {
    pub project: ProjectId,
    pub event: &'a str,
    /// `info`, `warn` or `error`.
    pub level: &'a str,
    pub message: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    /// Who caused it; none for the stack administrator and the stack itself.
    pub token: Option<&'a TokenRef>,
    pub params: &'a serde_json::Value,
    pub created_micros: i64,
}

/// Which of a project's events to scan.
#[derive(Debug, Clone, Default)]
pub struct EventScan<'a> {
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
    /// Only events with a greater id.
    pub after: Option<EventId>,
}

/// Events: one per write, in the same transaction as the write.
pub trait EventLog {
    /// Appends an event.
    fn insert_event(&mut self, new: &NewEventRecord<'_>) -> Result<EventId>;
    /// Hands `project`'s events matching `scan` to `visit`, newest first, until `visit`
    /// returns false; the caller filters by what it may see without reading every event.
    fn scan_events(
        &mut self,
        project: ProjectId,
        scan: &EventScan<'_>,
        visit: &mut dyn FnMut(Event) -> bool,
    ) -> Result<()>;
}
