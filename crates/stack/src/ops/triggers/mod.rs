//! Triggers: run a configuration once every table it watches has been imported into since its
//! last run, no sooner than its cool-down after that run. What a trigger points at is checked
//! when it is saved (the configuration runs with the trigger's token, the tables exist), so a
//! saved trigger does not fire into nothing; what is deleted later is told at firing time.

mod fire;

use serde_json::json;
use stackport_model::api::{NewJob, NewTrigger, TokenRef, Trigger, TriggerTable, TriggerUpdate};
use stackport_model::{ComponentId, ConfigId, ProjectId, TableId, TokenId, TriggerId};

use super::auth::TokenAuth;
use super::events::{record, NewEvent};
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::ORCHESTRATOR;
use crate::store::{TriggerFields, TriggerRecord, Tx};
use crate::Stack;

/// Names the reference and its clients give the orchestrator; a trigger stores it as this
/// stack's `orchestrator`.
const ORCHESTRATOR_ALIASES: &[&str] = &["orchestration", "keboola.orchestrator"];

/// The most tables one trigger watches.
pub const MAX_TABLES: usize = 100;

fn not_found(id: TriggerId) -> Error {
    Error::not_found(
        "storage.triggers.notFound",
        format!("trigger {id} not found in this project"),
    )
}

fn load(tx: &mut Tx<'_>, project: ProjectId, id: TriggerId) -> Result<TriggerRecord> {
    tx.triggers()
        .get_trigger(project, id)?
        .ok_or_else(|| not_found(id))
}

/// The answer's shape of a saved trigger.
pub(crate) fn to_api(t: TriggerRecord) -> Trigger {
    Trigger {
        id: t.id,
        run_with_token_id: t.run_with_token,
        component: t.component,
        configuration_id: t.config,
        last_run: t.last_run_micros.map(super::time),
        cool_down_period_minutes: t.cool_down_minutes,
        creator_token: t.creator,
        tables: t
            .tables
            .into_iter()
            .map(|w| TriggerTable { table_id: w.table })
            .collect(),
        is_active: t.active,
    }
}

fn component(given: &ComponentId) -> ComponentId {
    if ORCHESTRATOR_ALIASES.contains(&given.as_str()) {
        ORCHESTRATOR.parse().expect("a valid component id")
    } else {
        given.clone()
    }
}

fn check_cool_down(minutes: u32) -> Result<()> {
    if minutes < 1 {
        return Err(Error::invalid(
            "storage.triggers.invalidCoolDown",
            "coolDownPeriodMinutes must be at least 1 (minutes between two runs of the trigger)",
        ));
    }
    Ok(())
}

/// The tables as the catalog spells them: at least one, at most [`MAX_TABLES`], each once,
/// each a table of the project.
fn check_tables(tx: &mut Tx<'_>, project: ProjectId, given: &[TableId]) -> Result<Vec<TableId>> {
    if given.is_empty() || given.len() > MAX_TABLES {
        return Err(Error::invalid(
            "storage.triggers.invalidTables",
            format!(
                "tableIds must name 1 to {MAX_TABLES} tables of the project; it names {}",
                given.len()
            ),
        ));
    }
    let mut out: Vec<TableId> = Vec::with_capacity(given.len());
    for id in given {
        let table = tx.tables().get_table(project, id)?.ok_or_else(|| {
            Error::invalid(
                "storage.triggers.invalidTables",
                format!("tableIds: table {id} not found in this project; create it first"),
            )
        })?;
        if out.contains(&table.id) {
            return Err(Error::invalid(
                "storage.triggers.invalidTables",
                format!("tableIds names table {id} twice; name each table once"),
            ));
        }
        out.push(table.id);
    }
    Ok(out)
}

impl Stack {
    /// The run token must be a live token of the project that may run the configuration.
    fn check_trigger_target(
        &self,
        caller: &TokenAuth,
        token: TokenId,
        component: &ComponentId,
        config: &ConfigId,
    ) -> Result<()> {
        let project = caller.project();
        // A trigger's jobs run with its token's rights: naming another token than one's own
        // would be using that token, which only a token that may manage tokens may do.
        if token != caller.token_id() {
            caller.require_manage_tokens().map_err(|_| {
                Error::new(
                    ErrorKind::Forbidden,
                    "storage.triggers.invalidRunWithToken",
                    format!(
                        "runWithTokenId: token {token} is not the calling token; a trigger runs \
                         with another token's rights only when created by a master token or one \
                         that may manage tokens; give your own token's id ({})",
                        caller.token_id()
                    ),
                )
            })?;
        }
        let run_as = self.auth_of_token(project, token).ok_or_else(|| {
            Error::invalid(
                "storage.triggers.invalidRunWithToken",
                format!(
                    "runWithTokenId: token {token} is not a valid token of this project; give \
                     the id of a token that exists and has not expired"
                ),
            )
        })?;
        let new = NewJob {
            component: component.clone(),
            config: config.to_string(),
            config_row_ids: vec![],
            mode: Default::default(),
        };
        self.check_job_target(&run_as, &new).map_err(|e| {
            let code = match e.kind() {
                ErrorKind::Forbidden => "storage.triggers.invalidRunWithToken",
                _ => "storage.triggers.invalidConfiguration",
            };
            // On the reference a flow is a keboola.orchestrator configuration; this stack runs
            // flows as orchestrations, so the id must be one of those.
            let hint = if e.code() == "orchestrations.notFound" {
                "; a flow here is an orchestration (/v2/orchestrations): give its id as \
                 configurationId, since a keboola.orchestrator configuration of the components \
                 API is stored but not run by this stack"
            } else {
                ""
            };
            Error::invalid(
                code,
                format!(
                    "component {component} configuration {config} cannot run with token \
                     {token} (runWithTokenId): {}{hint}",
                    e.message()
                ),
            )
        })
    }

    /// The project's triggers, optionally of one component or configuration only.
    pub fn list_triggers(
        &self,
        auth: &TokenAuth,
        component: Option<&str>,
        configuration: Option<&str>,
    ) -> Result<Vec<Trigger>> {
        auth.require_manage_buckets()?;
        let wanted = component.map(|c| match c.parse::<ComponentId>() {
            Ok(c) => self::component(&c).to_string(),
            Err(_) => c.to_string(),
        });
        let all = self
            .store
            .read(|tx| tx.triggers().list_triggers(auth.project()))?;
        Ok(all
            .into_iter()
            .filter(|t| wanted.as_deref().is_none_or(|c| t.component.as_str() == c))
            .filter(|t| configuration.is_none_or(|c| t.config.as_str() == c))
            .map(to_api)
            .collect())
    }

    /// One trigger.
    pub fn get_trigger(&self, auth: &TokenAuth, id: TriggerId) -> Result<Trigger> {
        auth.require_manage_buckets()?;
        self.store
            .read(|tx| load(tx, auth.project(), id))
            .map(to_api)
    }

    /// Creates a trigger, active unless `isActive` is false; its tables start unmarked.
    pub fn create_trigger(&self, auth: &TokenAuth, new: &NewTrigger) -> Result<Trigger> {
        auth.require_manage_buckets()?;
        check_cool_down(new.cool_down_period_minutes)?;
        let project = auth.project();
        let component = component(&new.component);
        self.check_trigger_target(
            auth,
            new.run_with_token_id,
            &component,
            &new.configuration_id,
        )?;
        let by = auth.token_ref();
        self.store.write(|tx| {
            let tables = check_tables(tx, project, &new.table_ids)?;
            let id = tx.triggers().insert_trigger(
                project,
                &TriggerFields {
                    component: &component,
                    config: &new.configuration_id,
                    run_with_token: new.run_with_token_id,
                    cool_down_minutes: new.cool_down_period_minutes,
                    tables: &tables,
                    active: new.is_active.unwrap_or(true),
                },
                &by,
            )?;
            event(tx, project, &by, "storage.triggerCreated", id, "created")?;
            load(tx, project, id).map(to_api)
        })
    }

    /// Changes the fields given; the others stay. Tables it keeps watching keep their marks.
    pub fn update_trigger(
        &self,
        auth: &TokenAuth,
        id: TriggerId,
        update: &TriggerUpdate,
    ) -> Result<Trigger> {
        auth.require_manage_buckets()?;
        if let Some(minutes) = update.cool_down_period_minutes {
            check_cool_down(minutes)?;
        }
        let project = auth.project();
        let current = self.store.read(|tx| load(tx, project, id))?;
        let component = update
            .component
            .as_ref()
            .map(component)
            .unwrap_or_else(|| current.component.clone());
        let config = update
            .configuration_id
            .clone()
            .unwrap_or_else(|| current.config.clone());
        let token = update.run_with_token_id.unwrap_or(current.run_with_token);
        if update.component.is_some()
            || update.configuration_id.is_some()
            || update.run_with_token_id.is_some()
        {
            self.check_trigger_target(auth, token, &component, &config)?;
        }
        let by = auth.token_ref();
        self.store.write(|tx| {
            let current = load(tx, project, id)?;
            let tables = match &update.table_ids {
                Some(given) => check_tables(tx, project, given)?,
                None => current.tables.iter().map(|w| w.table.clone()).collect(),
            };
            tx.triggers().update_trigger(
                project,
                id,
                &TriggerFields {
                    component: &component,
                    config: &config,
                    run_with_token: token,
                    cool_down_minutes: update
                        .cool_down_period_minutes
                        .unwrap_or(current.cool_down_minutes),
                    tables: &tables,
                    active: update.is_active.unwrap_or(current.active),
                },
            )?;
            event(tx, project, &by, "storage.triggerChanged", id, "changed")?;
            load(tx, project, id).map(to_api)
        })
    }

    /// Deletes a trigger.
    pub fn delete_trigger(&self, auth: &TokenAuth, id: TriggerId) -> Result<()> {
        auth.require_manage_buckets()?;
        let project = auth.project();
        let by = auth.token_ref();
        self.store.write(|tx| {
            if !tx.triggers().delete_trigger(project, id)? {
                return Err(not_found(id));
            }
            event(tx, project, &by, "storage.triggerDeleted", id, "deleted")
        })
    }
}

fn event(
    tx: &mut Tx<'_>,
    project: ProjectId,
    by: &TokenRef,
    event: &'static str,
    id: TriggerId,
    what: &str,
) -> Result<()> {
    record(
        tx,
        project,
        Some(by),
        NewEvent {
            event,
            message: format!("Trigger {id} {what}"),
            object_type: "trigger",
            object_id: id.to_string(),
            params: json!({}),
        },
    )
}
