//! The threads that run queued jobs. Jobs of components run on a fixed number of workers; an
//! orchestration job mostly waits for the jobs it queued, so it gets a thread of its own and
//! never holds a worker its own tasks need.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;
use stackport_model::api::{JobStatus, Runner};

use super::cancel::{Cancel, StopReason, Stopped};
use super::deadline::{Deadline, TimeLimit};
use super::log::Level;
use super::queue::{self, JobRecord};
use super::ORCHESTRATOR;
use crate::error::Error;
use crate::Stack;

/// How a job's work ended when it did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Killed, or the stack is stopping.
    Stopped(StopReason),
    /// It failed: a message for people and details for the result.
    Failed {
        message: String,
        details: serde_json::Value,
    },
}

impl Failure {
    pub fn failed(message: impl Into<String>) -> Failure {
        Failure::Failed {
            message: message.into(),
            details: json!({}),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::failed(e.to_string())
    }
}

impl From<Stopped> for Failure {
    fn from(s: Stopped) -> Failure {
        Failure::Stopped(s.0)
    }
}

/// Running job threads; stopping them stops the jobs they run.
pub struct JobRunner {
    stack: Arc<Stack>,
    stopping: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    orchestrations: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl JobRunner {
    /// Starts `workers` threads taking jobs from `stack`'s queue.
    pub fn start(stack: Arc<Stack>, workers: usize) -> JobRunner {
        stack.jobs.shutting_down.store(false, Ordering::SeqCst);
        let stopping = Arc::new(AtomicBool::new(false));
        let orchestrations = Arc::new(Mutex::new(Vec::new()));
        let threads = (0..workers.max(1))
            .map(|i| {
                let stack = stack.clone();
                let stopping = stopping.clone();
                let orchestrations = orchestrations.clone();
                std::thread::Builder::new()
                    .name(format!("job-worker-{i}"))
                    .spawn(move || work(&stack, &stopping, &orchestrations))
                    .expect("a job worker thread starts")
            })
            .collect::<Vec<_>>();
        let mut threads = threads;
        // Storage jobs have workers of their own, so a long queue job never delays them (see
        // `storage_jobs::run` for why their number keeps projects independent).
        for i in 0..workers.max(2) {
            let stack = stack.clone();
            let stopping = stopping.clone();
            let worker = std::thread::Builder::new()
                .name(format!("storage-job-worker-{i}"))
                .spawn(move || crate::storage_jobs::work(&stack, &stopping))
                .expect("a storage job worker thread starts");
            threads.push(worker);
        }
        let scheduler = {
            let stack = stack.clone();
            let stopping = stopping.clone();
            std::thread::Builder::new()
                .name("job-scheduler".into())
                .spawn(move || schedule(&stack, &stopping))
                .expect("the scheduler thread starts")
        };
        threads.push(scheduler);
        JobRunner {
            stack,
            stopping,
            threads,
            orchestrations,
        }
    }

    /// Stops taking jobs, stops the running ones (they end as errors: the stack stopped) and
    /// waits for the threads.
    pub fn stop(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        {
            let running = self
                .stack
                .jobs
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            self.stack.jobs.shutting_down.store(true, Ordering::SeqCst);
            for cancel in running.values() {
                cancel.stop(StopReason::Shutdown);
            }
        }
        self.stack.jobs.notify();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let orchestrations: Vec<_> = self
            .orchestrations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        for t in orchestrations {
            let _ = t.join();
        }
    }
}

impl Drop for JobRunner {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// Queues scheduled orchestrations whose minute has come, and triggers whose cool-down has
/// passed, checking every second.
fn schedule(stack: &Stack, stopping: &AtomicBool) {
    while !stopping.load(Ordering::SeqCst) {
        if let Err(e) = stack.run_due_schedules() {
            tracing::warn!(error = %e, "running the schedules failed");
        }
        if let Err(e) = stack.run_due_triggers() {
            tracing::warn!(error = %e, "running the triggers failed");
        }
        let guard = stack.jobs.queued.lock().unwrap_or_else(|e| e.into_inner());
        if !stopping.load(Ordering::SeqCst) {
            let _ = stack.jobs.wake.wait_timeout(guard, Duration::from_secs(1));
        }
    }
}

fn work(stack: &Arc<Stack>, stopping: &AtomicBool, orchestrations: &Mutex<Vec<JoinHandle<()>>>) {
    while !stopping.load(Ordering::SeqCst) {
        let seen = stack.jobs.wake_count();
        let per_project = stack.settings.jobs.max_running_per_project;
        match stack.store.write(|tx| queue::claim(tx, per_project)) {
            Ok(Some(job)) if stopping.load(Ordering::SeqCst) => {
                // Taken as the runner stopped: back to the queue for the next start.
                if let Err(e) = stack.store.write(|tx| queue::requeue(tx, job.id)) {
                    tracing::warn!(job = %job.id, error = %e, "putting a job back failed");
                }
                break;
            }
            Ok(Some(job)) if job.component.as_str() == ORCHESTRATOR => {
                let stack = stack.clone();
                let handle = std::thread::Builder::new()
                    .name(format!("orchestration-job-{}", job.id))
                    .spawn(move || run_job(&stack, job));
                match handle {
                    Ok(h) => {
                        let mut list = orchestrations.lock().unwrap_or_else(|e| e.into_inner());
                        list.retain(|t| !t.is_finished());
                        list.push(h);
                    }
                    Err(e) => tracing::error!(error = %e, "cannot start an orchestration thread"),
                }
                continue;
            }
            Ok(Some(job)) => {
                run_job(stack, job);
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "taking a job from the queue failed"),
        }
        stack.jobs.wait_for_work(seen, stopping);
    }
}

/// Runs one claimed job to its end and records how it ended.
pub(crate) fn run_job(stack: &Stack, job: JobRecord) {
    let cancel = Arc::new(Cancel::default());
    {
        let mut running = stack.jobs.running.lock().unwrap_or_else(|e| e.into_inner());
        running.insert(job.id, cancel.clone());
        // Taken just as the runner stopped: it must not run on after the stop.
        if stack.jobs.is_shutting_down() {
            cancel.stop(StopReason::Shutdown);
        }
    }
    // A kill that came between taking the job and registering its switch.
    if let Ok(Some(current)) = stack.store.read(|c| queue::load_any(c, job.id)) {
        if current.desired_status == "terminating" {
            cancel.stop(StopReason::Killed);
        }
    }
    stack.job_log(
        &job,
        Level::Info,
        "job.started",
        format!(
            "Job {} of {} configuration {} started",
            job.id, job.component, job.config
        ),
        json!({}),
    );
    let limit = TimeLimit::of(stack, &job);
    let outcome = match Deadline::start(cancel.clone(), Duration::from_secs(limit.seconds)) {
        Ok(deadline) => {
            let outcome = execute(stack, &job, &cancel);
            drop(deadline);
            outcome
        }
        Err(e) => Err(Failure::failed(format!(
            "cannot watch the job's time limit ({e}); run it again"
        ))),
    };
    // Work that a stop interrupted may fail on its own (an interrupted input load) before it
    // checks the switch; it ended because it was stopped.
    let outcome = match (outcome, cancel.reason()) {
        (Err(Failure::Failed { .. }), Some(reason)) => Err(Failure::Stopped(reason)),
        (outcome, _) => outcome,
    };
    let (status, result, level, event, message) = match outcome {
        Ok(mut result) => {
            let message = format!("Job {} finished successfully", job.id);
            result["message"] = json!(message);
            (
                JobStatus::Success,
                result,
                Level::Info,
                "job.succeeded",
                message,
            )
        }
        Err(Failure::Stopped(StopReason::Killed)) => {
            let message = format!("Job {} was killed", job.id);
            (
                JobStatus::Cancelled,
                json!({"message": message}),
                Level::Warn,
                "job.cancelled",
                message,
            )
        }
        Err(Failure::Stopped(StopReason::Shutdown)) => {
            let message = "the stack stopped while this job ran; run it again".to_string();
            (
                JobStatus::Error,
                json!({"message": message}),
                Level::Error,
                "job.failed",
                message,
            )
        }
        Err(Failure::Stopped(StopReason::TimedOut)) => {
            let message = limit.exceeded(&job);
            (
                JobStatus::Error,
                json!({"message": message, "timeLimitSeconds": limit.seconds}),
                Level::Error,
                "job.failed",
                message,
            )
        }
        Err(Failure::Failed { message, details }) => {
            let mut result = match details {
                serde_json::Value::Object(fields) => serde_json::Value::Object(fields),
                _ => json!({}),
            };
            result["message"] = json!(message);
            (
                JobStatus::Error,
                result,
                Level::Error,
                "job.failed",
                message,
            )
        }
    };
    if let Err(e) = stack
        .store
        .write(|tx| queue::finish(tx, job.id, status, &result))
    {
        tracing::error!(job = %job.id, error = %e, "recording the end of a job failed");
    }
    stack.job_log(
        &job,
        level,
        event,
        message,
        json!({"status": status.as_str()}),
    );
    stack
        .jobs
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&job.id);
    stack.jobs.notify();
}

fn execute(stack: &Stack, job: &JobRecord, cancel: &Cancel) -> Result<serde_json::Value, Failure> {
    cancel.check()?;
    let auth = stack
        .auth_of_token(job.project, job.token.id)
        .ok_or_else(|| {
            Failure::failed(format!(
                "token {} that runs this job was deleted or has expired; run the job again \
             with another token",
                job.token.id
            ))
        })?;
    if job.component.as_str() == ORCHESTRATOR {
        return super::orchestration::run(stack, &auth, job, cancel);
    }
    match stack.registry.get(&job.component).and_then(|c| c.runner) {
        Some(Runner::Sql { .. }) => super::transformation::run(stack, &auth, job, cancel),
        Some(Runner::Program { command, .. }) => {
            super::program::run(stack, &auth, job, cancel, &command)
        }
        None => Err(Failure::failed(format!(
            "component {} cannot run on this stack: its registry entry names no runner",
            job.component
        ))),
    }
}
