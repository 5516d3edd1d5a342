//! Orchestrations: tasks in phases on a schedule. Every task must point at a configuration or
//! orchestration that exists in the project, so a saved orchestration never runs into nothing.

mod rules;

use serde_json::json;
use stackport_model::api::{
    NewOrchestration, Orchestration, OrchestrationTask, OrchestrationUpdate, TokenRef,
};
use stackport_model::{OrchestrationId, ProjectId};

use super::auth::TokenAuth;
use super::configs::load_live_config;
use super::events::{record, NewEvent};
use crate::error::{Error, Result};
use crate::store::{OrchestrationFields, Tx};
use crate::Stack;
use rules::{check_crontab, check_notifications, check_timezone, invalid};

fn load(tx: &mut Tx<'_>, project: ProjectId, id: OrchestrationId) -> Result<Orchestration> {
    tx.orchestrations()
        .get_orchestration(project, id)?
        .ok_or_else(|| {
            Error::not_found(
                "orchestrations.notFound",
                format!("orchestration {id} not found in this project"),
            )
        })
}

/// Starts the scheduler's count afresh from now when an orchestration's schedule begins or
/// changes, so a slot that passed before it was active never fires; forgets it when it stops.
fn reset_schedule(tx: &mut Tx<'_>, o: &Orchestration) -> Result<()> {
    if o.active && o.crontab_record.is_some() {
        let now = tx.now_micros();
        tx.schedules()
            .reset_slots(o.id, now - now.rem_euclid(60_000_000))
    } else {
        tx.schedules().forget_slots(o.id)
    }
}

/// [`rules::check_tasks`] against what the project holds now.
fn check_tasks(
    tx: &mut Tx<'_>,
    project: ProjectId,
    this: Option<OrchestrationId>,
    tasks: &[OrchestrationTask],
) -> Result<()> {
    let saved = tx.orchestrations().list_orchestrations(project)?;
    rules::check_tasks(this, tasks, &saved, &mut |component, config| {
        Ok(load_live_config(tx, project, component, config).is_ok())
    })
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
        self.store
            .read(|tx| tx.orchestrations().list_orchestrations(auth.project()))
    }

    /// One orchestration.
    pub fn get_orchestration(
        &self,
        auth: &TokenAuth,
        id: OrchestrationId,
    ) -> Result<Orchestration> {
        auth.require_manage_buckets()?;
        self.store.read(|tx| load(tx, auth.project(), id))
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
            let created_micros = tx.now_micros();
            let id = tx.orchestrations().insert_orchestration(
                project,
                &OrchestrationFields {
                    name: &new.name,
                    crontab_record: new.crontab_record.as_deref(),
                    timezone: &timezone,
                    active: new.active,
                    notifications: &new.notifications,
                    tasks: &new.tasks,
                    token: &by,
                },
                created_micros,
            )?;
            event(tx, project, &by, "orchestrations.created", id, "created")?;
            let created = load(tx, project, id)?;
            reset_schedule(tx, &created)?;
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
                Some(Some(c))
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
            tx.orchestrations().update_orchestration(
                project,
                id,
                &OrchestrationFields {
                    name: update.name.as_ref().unwrap_or(&current.name),
                    crontab_record: cron.unwrap_or(current.crontab_record.as_deref()),
                    timezone: update.timezone.as_ref().unwrap_or(&current.timezone),
                    active: update.active.unwrap_or(current.active),
                    notifications: update
                        .notifications
                        .as_ref()
                        .unwrap_or(&current.notifications),
                    tasks: update.tasks.as_ref().unwrap_or(&current.tasks),
                    // Scheduled runs use the token of whoever saved the orchestration last, so
                    // saving it again mends a schedule whose token was deleted.
                    token: &by,
                },
            )?;
            event(tx, project, &by, "orchestrations.changed", id, "changed")?;
            let changed = load(tx, project, id)?;
            let schedule =
                |o: &Orchestration| (o.active, o.crontab_record.clone(), o.timezone.clone());
            if schedule(&changed) != schedule(&current) {
                reset_schedule(tx, &changed)?;
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
            let saved = tx.orchestrations().list_orchestrations(project)?;
            if let Some(parent) = rules::run_by(id, &saved) {
                return Err(Error::conflict(
                    "orchestrations.inUse",
                    format!(
                        "orchestration {parent} runs orchestration {id}; remove that task first"
                    ),
                ));
            }
            tx.orchestrations().delete_orchestration(project, id)?;
            event(tx, project, &by, "orchestrations.deleted", id, "deleted")
        })
    }
}
