//! What a saved orchestration must be, checked without the store: the store's answers (the
//! project's orchestrations, whether a configuration is live) come in as arguments.

use std::collections::{HashMap, HashSet};

use stackport_model::api::{Orchestration, OrchestrationTask};
use stackport_model::{ComponentId, ConfigId, OrchestrationId};

use crate::error::{Error, Result};
use crate::jobs::cron::{parse_timezone, Schedule};

pub(super) fn invalid(message: String) -> Error {
    Error::invalid("orchestrations.invalid", message)
}

/// Five cron fields that [`Schedule`] can read.
pub(super) fn check_crontab(record: &str) -> Result<()> {
    Schedule::parse(record, "UTC").map(|_| ()).map_err(invalid)
}

/// `UTC` or an IANA name such as `Europe/Prague`.
pub(super) fn check_timezone(tz: &str) -> Result<()> {
    parse_timezone(tz).map(|_| ()).map_err(invalid)
}

pub(super) fn check_notifications(emails: &[String]) -> Result<()> {
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

/// Each task points at a live configuration (`config_is_live`) or at another orchestration of
/// the project (one of `saved`, the project's orchestrations as stored), and following child
/// orchestrations never comes back to `this` (none for a new orchestration, which nothing can
/// run yet).
pub(super) fn check_tasks(
    this: Option<OrchestrationId>,
    tasks: &[OrchestrationTask],
    saved: &[Orchestration],
    config_is_live: &mut dyn FnMut(&ComponentId, &ConfigId) -> Result<bool>,
) -> Result<()> {
    for (i, task) in tasks.iter().enumerate() {
        let n = i + 1;
        if task.phase.trim().is_empty() {
            return Err(invalid(format!("task {n} has an empty phase")));
        }
        match (&task.component_id, &task.config_id, task.orchestration_id) {
            (Some(component), Some(config), None) => {
                if !config_is_live(component, config)? {
                    return Err(invalid(format!(
                        "task {n} points at configuration {config} of component {component}, \
                         which does not exist in this project (or is in the trash)"
                    )));
                }
            }
            (None, None, Some(child)) => {
                if Some(child) == this {
                    return Err(invalid(format!("task {n} runs the orchestration itself")));
                }
                if !saved.iter().any(|o| o.id == child) {
                    return Err(invalid(format!(
                        "task {n} points at orchestration {child}, which does not exist in this \
                         project"
                    )));
                }
            }
            _ => {
                return Err(invalid(format!(
                    "task {n} must name either componentId and configId, or orchestrationId"
                )))
            }
        }
    }
    if let Some(this) = this {
        if runs_itself(this, tasks, saved) {
            return Err(invalid(format!(
                "the tasks would make orchestration {this} run itself through its children"
            )));
        }
    }
    Ok(())
}

fn children(tasks: &[OrchestrationTask]) -> Vec<OrchestrationId> {
    tasks.iter().filter_map(|t| t.orchestration_id).collect()
}

/// Whether `this`, with `tasks` instead of its saved ones, would reach itself through the
/// child orchestrations of `saved`.
fn runs_itself(
    this: OrchestrationId,
    tasks: &[OrchestrationTask],
    saved: &[Orchestration],
) -> bool {
    let mut graph: HashMap<OrchestrationId, Vec<OrchestrationId>> =
        saved.iter().map(|o| (o.id, children(&o.tasks))).collect();
    graph.insert(this, children(tasks));
    let mut stack = graph.get(&this).cloned().unwrap_or_default();
    let mut seen = HashSet::new();
    while let Some(next) = stack.pop() {
        if next == this {
            return true;
        }
        if seen.insert(next) {
            stack.extend(graph.get(&next).cloned().unwrap_or_default());
        }
    }
    false
}

/// An orchestration of `saved` other than `id` that runs `id` as a task: `id` cannot go.
pub(super) fn run_by(id: OrchestrationId, saved: &[Orchestration]) -> Option<OrchestrationId> {
    saved
        .iter()
        .filter(|o| o.id != id)
        .find(|o| o.tasks.iter().any(|t| t.orchestration_id == Some(id)))
        .map(|o| o.id)
}

#[cfg(test)]
mod tests;
