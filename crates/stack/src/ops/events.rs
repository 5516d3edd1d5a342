//! Events: one for every write, in the same transaction as the write where the write is in
//! the metadata database.

use stackport_model::api::{Event, NewExternalEvent, TokenRef};
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

/// The levels an event a client reports may have.
const EXTERNAL_LEVELS: &[&str] = &["info", "success", "warn", "error"];

/// The longest message an event a client reports may carry, in bytes.
const MAX_MESSAGE: usize = 64 * 1024;

impl Stack {
    /// Records an event a component or script reports about its own run (the reference's
    /// event create), named `ext.<component>.` like the reference names them.
    pub fn create_external_event(&self, auth: &TokenAuth, new: &NewExternalEvent) -> Result<Event> {
        let component: stackport_model::ComponentId =
            new.component.trim().parse().map_err(|e| {
                Error::invalid(
                    "storage.events.invalidComponent",
                    format!("component '{}' is not a component id: {e}", new.component),
                )
            })?;
        if new.message.trim().is_empty() {
            return Err(Error::invalid(
                "storage.events.missingMessage",
                "message is empty: say what happened, e.g. 'Extraction finished'",
            ));
        }
        if new.message.len() > MAX_MESSAGE {
            return Err(Error::invalid(
                "storage.events.messageTooLong",
                format!("message is {} bytes, over {MAX_MESSAGE}", new.message.len()),
            ));
        }
        let level = new.kind.as_deref().unwrap_or("info");
        if !EXTERNAL_LEVELS.contains(&level) {
            return Err(Error::invalid(
                "storage.events.invalidType",
                format!(
                    "type '{level}' is not one; accepted: {}",
                    EXTERNAL_LEVELS.join(", ")
                ),
            ));
        }
        if let Some(d) = new.duration {
            if !d.is_finite() || d < 0.0 {
                return Err(Error::invalid(
                    "storage.events.invalidDuration",
                    format!("duration {d} is not a number of seconds (0 or more)"),
                ));
            }
        }
        let object = |name: &str, value: &Option<serde_json::Value>| match value {
            None | Some(serde_json::Value::Null) => Ok(serde_json::json!({})),
            Some(v @ serde_json::Value::Object(_)) => Ok(v.clone()),
            Some(_) => Err(Error::invalid(
                "storage.events.invalidObject",
                format!("{name} must be a JSON object, e.g. {{\"rows\": 10}}"),
            )),
        };
        let (details, results) = (
            object("params", &new.params)?,
            object("results", &new.results)?,
        );
        let params = serde_json::json!({
            "component": component,
            "configurationId": new.configuration_id,
            "runId": new.run_id,
            "description": new.description,
            "params": details,
            "results": results,
            "duration": new.duration,
        });
        let name = format!("ext.{component}.");
        let by = auth.token_ref();
        let project = auth.project();
        self.store.write(|tx| {
            let created_micros = tx.now_micros();
            let id = tx.events().insert_event(&NewEventRecord {
                project,
                event: &name,
                level,
                message: &new.message,
                object_type: "component",
                object_id: component.as_str(),
                token: Some(&by),
                params: &params,
                created_micros,
            })?;
            Ok(Event {
                id,
                event: name.clone(),
                kind: level.to_string(),
                message: new.message.clone(),
                object_type: "component".into(),
                object_id: component.to_string(),
                created: stackport_model::time::from_micros(created_micros),
                token: Some(by.clone()),
                params: params.clone(),
            })
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
