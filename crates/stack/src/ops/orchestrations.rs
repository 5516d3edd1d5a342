//! Orchestrations: tasks in phases on a schedule. Every task must point at a configuration or
//! orchestration that exists in the project, so a saved orchestration never runs into nothing.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension};
use serde_json::json;
use stackport_model::api::{
    NewOrchestration, Orchestration, OrchestrationTask, OrchestrationUpdate, TokenRef,
};
use stackport_model::{OrchestrationId, ProjectId, TokenId};

use super::auth::TokenAuth;
use super::configs::load_live_config;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::jobs::cron::{parse_timezone, Schedule};
use crate::store::sqlrow::{from_json, to_json};
use crate::store::Tx;
use crate::Stack;

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
        created: super::time(r.get(7)?),
        token: TokenRef {
            id: TokenId(r.get(8)?),
            description: r.get(9)?,
        },
    })
}

fn load(c: &mut Tx<'_>, project: ProjectId, id: OrchestrationId) -> Result<Orchestration> {
    c.sql()
        .query_row(
            &format!("SELECT {COLUMNS} FROM orchestrations WHERE project_id = ?1 AND id = ?2"),
            params![project.0, id.0],
            from_row,
        )
        .optional()?
        .ok_or_else(|| {
            Error::not_found(
                "orchestrations.notFound",
                format!("orchestration {id} not found in this project"),
            )
        })
}

fn invalid(message: String) -> Error {
    Error::invalid("orchestrations.invalid", message)
}

/// Five cron fields that [`Schedule`] can read.
fn check_crontab(record: &str) -> Result<()> {
    Schedule::parse(record, "UTC").map(|_| ()).map_err(invalid)
}

/// `UTC` or an IANA name such as `Europe/Prague`.
fn check_timezone(tz: &str) -> Result<()> {
    parse_timezone(tz).map(|_| ()).map_err(invalid)
}

/// Starts the scheduler's count afresh from now when an orchestration's schedule begins or
/// changes, so a slot that passed before it was active never fires; forgets it when it stops.
fn reset_schedule(tx: &mut Tx<'_>, o: &Orchestration, now: i64) -> Result<()> {
    if o.active && o.crontab_record.is_some() {
        tx.sql().execute(
            "INSERT INTO schedule_slots (orchestration_id, last_slot) VALUES (?1, ?2)
             ON CONFLICT (orchestration_id) DO UPDATE SET last_slot = excluded.last_slot",
            params![o.id.0, now - now.rem_euclid(60_000_000)],
        )?;
    } else {
        tx.sql().execute(
            "DELETE FROM schedule_slots WHERE orchestration_id = ?1",
            [o.id.0],
        )?;
    }
    Ok(())
}

fn check_notifications(emails: &[String]) -> Result<()> {
    for e in emails {
        match e.split_once('@') {
            Some((user, domain))
                if !user.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace) => {
            }
            _ => {
                return Err(invalid(format!(
                    "notification address '{e}' is not an e-mail address"
                )))
            }
        }
    }
    Ok(())
}

/// Each task points at a live configuration or at another orchestration of the project, and
/// following child orchestrations never comes back to `this`.
fn check_tasks(
    c: &mut Tx<'_>,
    project: ProjectId,
    this: Option<OrchestrationId>,
    tasks: &[OrchestrationTask],
) -> Result<()> {
    for (i, task) in tasks.iter().enumerate() {
        let n = i + 1;
        if task.phase.trim().is_empty() {
            return Err(invalid(format!("task {n} has an empty phase")));
        }
        match (&task.component_id, &task.config_id, task.orchestration_id) {
            (Some(component), Some(config), None) => {
                load_live_config(c, project, component, config).map_err(|_| {
                    invalid(format!(
                        "task {n} points at configuration {config} of component {component}, which \
                         does not exist in this project (or is in the trash)"
                    ))
                })?;
            }
            (None, None, Some(child)) => {
                if Some(child) == this {
                    return Err(invalid(format!("task {n} runs the orchestration itself")));
                }
                load(c, project, child).map_err(|_| {
                    invalid(format!("task {n} points at orchestration {child}, which does not exist in this project"))
                })?;
            }
            _ => {
                return Err(invalid(format!(
                    "task {n} must name either componentId and configId, or orchestrationId"
                )))
            }
        }
    }
    if let Some(this) = this {
        let mut graph: HashMap<u64, Vec<u64>> = HashMap::new();
        let mut stmt = c
            .sql()
            .prepare("SELECT id, tasks FROM orchestrations WHERE project_id = ?1")?;
        let rows = stmt.query_map([project.0], |r| {
            Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, tasks) = row?;
            let tasks: Vec<OrchestrationTask> = from_json(&tasks)?;
            graph.insert(
                id,
                tasks
                    .iter()
                    .filter_map(|t| t.orchestration_id.map(|o| o.0))
                    .collect(),
            );
        }
        graph.insert(
            this.0,
            tasks
                .iter()
                .filter_map(|t| t.orchestration_id.map(|o| o.0))
                .collect(),
        );
        let mut stack = graph.get(&this.0).cloned().unwrap_or_default();
        let mut seen = HashSet::new();
        while let Some(next) = stack.pop() {
            if next == this.0 {
                return Err(invalid(format!(
                    "the tasks would make orchestration {this} run itself through its children"
                )));
            }
            if seen.insert(next) {
                stack.extend(graph.get(&next).cloned().unwrap_or_default());
            }
        }
    }
    Ok(())
}

fn event(
    tx: &mut Tx<'_>,
    project: ProjectId,
    by: &TokenRef,
    event: &'static str,
    id: OrchestrationId,
    what: &str,
) -> Result<()> {
    record(
        tx,
        project,
        Some(by),
        NewEvent {
            event,
            message: format!("Orchestration {id} {what}"),
            object_type: "orchestration",
            object_id: id.to_string(),
            params: json!({}),
        },
    )
}

impl Stack {
    /// The project's orchestrations.
    pub fn list_orchestrations(&self, auth: &TokenAuth) -> Result<Vec<Orchestration>> {
        auth.require_manage_buckets()?;
        self.store.read(|c| {
            let mut stmt = c.sql().prepare(&format!(
                "SELECT {COLUMNS} FROM orchestrations WHERE project_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map([auth.project().0], from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// One orchestration.
    pub fn get_orchestration(
        &self,
        auth: &TokenAuth,
        id: OrchestrationId,
    ) -> Result<Orchestration> {
        auth.require_manage_buckets()?;
        self.store.read(|c| load(c, auth.project(), id))
    }

    /// Creates an orchestration; the stack assigns its id.
    pub fn create_orchestration(
        &self,
        auth: &TokenAuth,
        new: &NewOrchestration,
    ) -> Result<Orchestration> {
        auth.require_manage_buckets()?;
        if new.name.trim().is_empty() {
            return Err(invalid("an orchestration needs a non-empty name".into()));
        }
        if let Some(cron) = &new.crontab_record {
            check_crontab(cron)?;
        }
        let timezone = new.timezone.clone().unwrap_or_else(|| "UTC".into());
        check_timezone(&timezone)?;
        check_notifications(&new.notifications)?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            check_tasks(tx, project, None, &new.tasks)?;
            tx.sql().execute(
                "INSERT INTO orchestrations (project_id, name, crontab_record, timezone, active, notifications,
                 tasks, created, token_id, token_description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    project.0,
                    new.name,
                    new.crontab_record,
                    timezone,
                    new.active,
                    to_json(&new.notifications),
                    to_json(&new.tasks),
                    super::now_micros(),
                    by.id.0,
                    by.description
                ],
            )?;
            let id = OrchestrationId(tx.sql().last_insert_rowid() as u64);
            event(tx, project, &by, "orchestrations.created", id, "created")?;
            let created = load(tx, project, id)?;
            reset_schedule(tx, &created, self.clock.now_micros())?;
            Ok(created)
        })
    }

    /// Changes the fields given; the others stay.
    pub fn update_orchestration(
        &self,
        auth: &TokenAuth,
        id: OrchestrationId,
        update: &OrchestrationUpdate,
    ) -> Result<Orchestration> {
        auth.require_manage_buckets()?;
        if let Some(name) = &update.name {
            if name.trim().is_empty() {
                return Err(invalid("an orchestration needs a non-empty name".into()));
            }
        }
        let cron = match update.crontab_record.as_deref() {
            Some("") => Some(None),
            Some(c) => {
                check_crontab(c)?;
                Some(Some(c.to_string()))
            }
            None => None,
        };
        if let Some(tz) = &update.timezone {
            check_timezone(tz)?;
        }
        if let Some(n) = &update.notifications {
            check_notifications(n)?;
        }
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            let current = load(tx, project, id)?;
            if let Some(tasks) = &update.tasks {
                check_tasks(tx, project, Some(id), tasks)?;
            }
            tx.sql().execute(
                "UPDATE orchestrations SET name = ?3, crontab_record = ?4, timezone = ?5, active = ?6,
                 notifications = ?7, tasks = ?8, token_id = ?9, token_description = ?10
                 WHERE project_id = ?1 AND id = ?2",
                params![
                    project.0,
                    id.0,
                    update.name.as_ref().unwrap_or(&current.name),
                    cron.unwrap_or(current.crontab_record.clone()),
                    update.timezone.as_ref().unwrap_or(&current.timezone),
                    update.active.unwrap_or(current.active),
                    to_json(update.notifications.as_ref().unwrap_or(&current.notifications)),
                    to_json(update.tasks.as_ref().unwrap_or(&current.tasks)),
                    // Scheduled runs use the token of whoever saved the orchestration last, so
                    // saving it again mends a schedule whose token was deleted.
                    by.id.0,
                    by.description,
                ],
            )?;
            event(tx, project, &by, "orchestrations.changed", id, "changed")?;
            let changed = load(tx, project, id)?;
            let schedule = |o: &Orchestration| (o.active, o.crontab_record.clone(), o.timezone.clone());
            if schedule(&changed) != schedule(&current) {
                reset_schedule(tx, &changed, self.clock.now_micros())?;
            }
            Ok(changed)
        })
    }

    /// Deletes an orchestration that no other orchestration runs.
    pub fn delete_orchestration(&self, auth: &TokenAuth, id: OrchestrationId) -> Result<()> {
        auth.require_manage_buckets()?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            load(tx, project, id)?;
            let mut stmt = tx.sql().prepare("SELECT id, tasks FROM orchestrations WHERE project_id = ?1 AND id != ?2")?;
            let rows = stmt
                .query_map(params![project.0, id.0], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            for (parent, tasks) in rows {
                let tasks: Vec<OrchestrationTask> = from_json(&tasks)?;
                if tasks.iter().any(|t| t.orchestration_id == Some(id)) {
                    return Err(Error::conflict(
                        "orchestrations.inUse",
                        format!("orchestration {parent} runs orchestration {id}; remove that task first"),
                    ));
                }
            }
            tx.sql().execute("DELETE FROM orchestrations WHERE project_id = ?1 AND id = ?2", params![project.0, id.0])?;
            event(tx, project, &by, "orchestrations.deleted", id, "deleted")
        })
    }
}
