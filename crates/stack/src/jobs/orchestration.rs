//! Running an orchestration: phases in the order they first appear, the active tasks of a phase
//! as jobs queued together, each waited for. A failed task stops the orchestration after its
//! phase unless the task says `continueOnFailure`. The result lists every task with its job.

use std::time::Duration;

use serde_json::json;
use stackport_model::api::{JobStatus, NewJob, OrchestrationTask};
use stackport_model::{ComponentId, JobId, OrchestrationId};

use super::cancel::{Cancel, StopReason};
use super::log::Level;
use super::queue::{self, JobRecord};
use super::runner::Failure;
use super::ORCHESTRATOR;
use crate::ops::auth::TokenAuth;
use crate::Stack;

/// Runs the orchestration `job` names.
pub(crate) fn run(
    stack: &Stack,
    auth: &TokenAuth,
    job: &JobRecord,
    cancel: &Cancel,
) -> Result<serde_json::Value, Failure> {
    let id: OrchestrationId = job
        .config
        .parse()
        .map_err(|_| Failure::failed(format!("'{}' is not an orchestration id", job.config)))?;
    let orchestration = stack.get_orchestration(auth, id)?;
    let mut phases: Vec<(String, Vec<&OrchestrationTask>)> = Vec::new();
    for task in orchestration.tasks.iter().filter(|t| t.active) {
        match phases.iter_mut().find(|(p, _)| p == &task.phase) {
            Some((_, tasks)) => tasks.push(task),
            None => phases.push((task.phase.clone(), vec![task])),
        }
    }
    let mut done = Vec::new();
    for (phase, tasks) in &phases {
        cancel.check()?;
        let mut started: Vec<(&OrchestrationTask, Result<JobId, String>)> = Vec::new();
        for task in tasks {
            let queued = child_job(task)
                .and_then(|new| {
                    stack
                        .queue_job(auth, &new, Some(&job.run_id), "orchestration")
                        .map_err(|e| e.to_string())
                })
                .map(|child| child.id);
            started.push((task, queued));
        }
        let children: Vec<JobId> = started
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok().copied())
            .collect();
        let ended = wait_for(stack, auth, &children, cancel)?;
        let mut failed = Vec::new();
        for (task, queued) in started {
            let (job_id, status, message) = match queued {
                Ok(child) => {
                    let record = ended.iter().find(|r| r.id == child);
                    let status = record.map_or(JobStatus::Error, |r| r.status);
                    let message = record
                        .and_then(|r| r.result["message"].as_str())
                        .unwrap_or("")
                        .to_string();
                    (Some(child), status, message)
                }
                Err(message) => (None, JobStatus::Error, message),
            };
            let entry = json!({
                "phase": phase,
                "componentId": task.component_id,
                "configId": task.config_id,
                "orchestrationId": task.orchestration_id,
                "continueOnFailure": task.continue_on_failure,
                "jobId": job_id,
                "status": status.as_str(),
                "message": message,
            });
            if status != JobStatus::Success {
                let what = describe(task);
                if task.continue_on_failure {
                    stack.job_log(
                        job,
                        Level::Warn,
                        "job.taskFailed",
                        format!(
                            "Task {what} of phase '{phase}' ended {}; going on \
                             (continueOnFailure): {message}",
                            status.as_str()
                        ),
                        entry.clone(),
                    );
                } else {
                    failed.push(format!(
                        "task {what} of phase '{phase}' ended {}: {message}",
                        status.as_str()
                    ));
                }
            }
            done.push(entry);
        }
        stack.job_log(
            job,
            Level::Info,
            "job.phaseDone",
            format!("Phase '{phase}' ended ({} task(s))", tasks.len()),
            json!({"phase": phase}),
        );
        if !failed.is_empty() {
            let skipped: Vec<&str> = phases
                .iter()
                .skip_while(|(p, _)| p != phase)
                .skip(1)
                .map(|(p, _)| p.as_str())
                .collect();
            let mut message = failed.join("; ");
            if !skipped.is_empty() {
                message.push_str(&format!("; phases not run: {}", skipped.join(", ")));
            }
            return Err(Failure::Failed {
                message,
                details: json!({"tasks": done}),
            });
        }
    }
    Ok(json!({"orchestrationId": id, "tasks": done}))
}

fn describe(task: &OrchestrationTask) -> String {
    match (&task.orchestration_id, &task.component_id, &task.config_id) {
        (Some(o), _, _) => format!("orchestration {o}"),
        (_, Some(c), Some(id)) => format!("{c} {id}"),
        _ => "(empty)".into(),
    }
}

fn child_job(task: &OrchestrationTask) -> Result<NewJob, String> {
    if let Some(child) = task.orchestration_id {
        return Ok(NewJob {
            component: ORCHESTRATOR
                .parse::<ComponentId>()
                .map_err(|e| e.to_string())?,
            config: child.to_string(),
            config_row_ids: vec![],
            mode: Default::default(),
        });
    }
    match (&task.component_id, &task.config_id) {
        (Some(component), Some(config)) => Ok(NewJob {
            component: component.clone(),
            config: config.to_string(),
            config_row_ids: vec![],
            mode: Default::default(),
        }),
        _ => Err("the task names neither a configuration nor an orchestration".into()),
    }
}

/// Waits until every job in `ids` has ended. A stop of the orchestration stops its jobs too.
fn wait_for(
    stack: &Stack,
    auth: &TokenAuth,
    ids: &[JobId],
    cancel: &Cancel,
) -> Result<Vec<JobRecord>, Failure> {
    let mut stopping = None;
    loop {
        let seen = *stack.jobs.queued.lock().unwrap_or_else(|e| e.into_inner());
        let records = stack.store.read(|c| {
            ids.iter()
                .map(|id| queue::load(c, auth.project(), *id))
                .collect::<crate::Result<Vec<_>>>()
        })?;
        let running: Vec<JobId> = records
            .iter()
            .filter(|r| !r.status.is_finished())
            .map(|r| r.id)
            .collect();
        if running.is_empty() {
            return match stopping {
                Some(reason) => Err(Failure::Stopped(reason)),
                None => Ok(records),
            };
        }
        if stopping.is_none() {
            let reason = cancel.reason().or_else(|| {
                stack
                    .jobs
                    .is_shutting_down()
                    .then_some(StopReason::Shutdown)
            });
            match reason {
                Some(reason @ (StopReason::Killed | StopReason::TimedOut)) => {
                    stopping = Some(reason);
                    for id in &running {
                        let _ = stack.kill_job(auth, *id);
                    }
                }
                Some(StopReason::Shutdown) => {
                    // The runner stops the running jobs itself; waiting ones must not run
                    // after a restart for an orchestration that ended.
                    for r in records.iter().filter(|r| r.status == JobStatus::Waiting) {
                        let _ = stack.kill_job(auth, r.id);
                    }
                    return Err(Failure::Stopped(StopReason::Shutdown));
                }
                None => {}
            }
        }
        let guard = stack.jobs.queued.lock().unwrap_or_else(|e| e.into_inner());
        if *guard == seen {
            let _ = stack
                .jobs
                .wake
                .wait_timeout(guard, Duration::from_millis(200));
        }
    }
}
