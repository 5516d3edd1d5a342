//! A running job's time limit: a watch that stops the job through its [`Cancel`] when the limit
//! passes. One watch per job covers every kind at the depth where the work runs: the SQL
//! statement is interrupted, the program killed, the orchestration stops its tasks.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::cancel::{Cancel, StopReason};
use super::queue::JobRecord;
use super::ORCHESTRATOR;
use crate::Stack;

/// How long a job may run: its component's `runner.timeoutSeconds`, or else the stack's
/// `jobs.timeLimitSeconds`.
pub(crate) struct TimeLimit {
    pub seconds: u64,
    /// Set when the registry entry of this component chose the limit.
    from_registry: bool,
}

impl TimeLimit {
    pub fn of(stack: &Stack, job: &JobRecord) -> TimeLimit {
        let registry = (job.component.as_str() != ORCHESTRATOR)
            .then(|| stack.registry.get(&job.component))
            .flatten()
            .and_then(|c| c.runner)
            .and_then(|r| r.timeout_seconds());
        match registry {
            Some(seconds) => TimeLimit {
                seconds,
                from_registry: true,
            },
            None => TimeLimit {
                seconds: stack.settings.jobs.time_limit_seconds,
                from_registry: false,
            },
        }
    }

    /// The job's message: which limit it passed and where to change it.
    pub fn exceeded(&self, job: &JobRecord) -> String {
        let what = if job.component.as_str() == ORCHESTRATOR {
            format!("Job {} (orchestration {})", job.id, job.config)
        } else {
            format!("Job {} of {}", job.id, job.component)
        };
        if self.from_registry {
            format!(
                "{what} ran longer than its time limit of {} s and was stopped; the limit is \
                 runner.timeoutSeconds of {} in the stack's component registry \
                 (PUT /manage/components), which overrides the stack's jobs.timeLimitSeconds",
                self.seconds, job.component
            )
        } else if job.component.as_str() == ORCHESTRATOR {
            format!(
                "{what} ran longer than its time limit of {} s and was stopped; the limit is \
                 jobs.timeLimitSeconds in the stack's settings (stack.json)",
                self.seconds
            )
        } else {
            format!(
                "{what} ran longer than its time limit of {} s and was stopped; the limit is \
                 jobs.timeLimitSeconds in the stack's settings (stack.json), or for this \
                 component runner.timeoutSeconds in the stack's component registry",
                self.seconds
            )
        }
    }
}

/// How often a timed-out job's SQL is interrupted again until the job has ended.
const REINTERRUPT: Duration = Duration::from_millis(200);

/// The watch of one job; dropping it (when the job ends) ends the watch.
pub(crate) struct Deadline {
    ended: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Deadline {
    /// Starts watching: after `limit` the job is stopped as [`StopReason::TimedOut`].
    pub fn start(cancel: Arc<Cancel>, limit: Duration) -> std::io::Result<Deadline> {
        let ended = Arc::new((Mutex::new(false), Condvar::new()));
        let watch = ended.clone();
        let thread = std::thread::Builder::new()
            .name("job-deadline".into())
            .spawn(move || watch_until(&cancel, limit, &watch))?;
        Ok(Deadline {
            ended,
            thread: Some(thread),
        })
    }
}

fn watch_until(cancel: &Cancel, limit: Duration, ended: &(Mutex<bool>, Condvar)) {
    let (done, wake) = ended;
    // A limit too far away to be a point in time is no limit.
    let end = Instant::now().checked_add(limit);
    let mut finished = done.lock().unwrap_or_else(|e| e.into_inner());
    let mut stopped = false;
    while !*finished {
        let now = Instant::now();
        let wait = match end {
            Some(end) if now >= end => {
                if !stopped {
                    cancel.stop(StopReason::TimedOut);
                    stopped = true;
                } else {
                    cancel.interrupt_sql();
                }
                REINTERRUPT
            }
            Some(end) => end - now,
            None => Duration::from_secs(3_600),
        };
        finished = wake
            .wait_timeout(finished, wait)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        let (done, wake) = &*self.ended;
        *done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
