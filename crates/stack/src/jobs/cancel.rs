//! Stopping a running job: a kill from the API, its time limit, or the stack shutting down. The
//! job's work checks the flag between steps; what runs long on its own (an SQL statement, a
//! program) is interrupted directly.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;

/// Why a job was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// `POST /v2/queue/jobs/{id}/kill`.
    Killed,
    /// The stack is stopping.
    Shutdown,
    /// It ran longer than its time limit.
    TimedOut,
}

/// The stop switch of one running job.
#[derive(Default)]
pub(crate) struct Cancel {
    reason: AtomicU8,
    sql: Mutex<Option<rusqlite::InterruptHandle>>,
    /// Cancels the statement of a session on a database server (a PostgreSQL sandbox).
    server_sql: Mutex<Option<crate::backend::SqlCanceller>>,
    child: Mutex<Option<u32>>,
}

impl Cancel {
    /// Stops the job: flags it, interrupts its SQL statement and kills its program.
    pub fn stop(&self, reason: StopReason) {
        let code = match reason {
            StopReason::Killed => 1,
            StopReason::Shutdown => 2,
            StopReason::TimedOut => 3,
        };
        let _ = self
            .reason
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
        self.interrupt_sql();
        if let Some(pid) = *self.child.lock().unwrap_or_else(|e| e.into_inner()) {
            kill_process_group(pid);
        }
    }

    /// Interrupts the SQL statement running now, if any. An interrupt that comes while no
    /// statement runs is lost, so a stopped job gets this again until it ends: a statement that
    /// started between the job's last check and the stop cannot run on.
    pub fn interrupt_sql(&self) {
        if let Some(handle) = self.sql.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            handle.interrupt();
        }
        if let Some(cancel) = self
            .server_sql
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            cancel();
        }
    }

    /// Why the job was stopped, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        match self.reason.load(Ordering::SeqCst) {
            1 => Some(StopReason::Killed),
            2 => Some(StopReason::Shutdown),
            3 => Some(StopReason::TimedOut),
            _ => None,
        }
    }

    /// Fails with [`Stopped`] once the job was stopped; called between steps.
    pub fn check(&self) -> Result<(), Stopped> {
        match self.reason() {
            Some(reason) => Err(Stopped(reason)),
            None => Ok(()),
        }
    }

    /// Lets `stop` kill this process (and its process group) while it runs.
    pub fn watch_child(&self, pid: Option<u32>) {
        *self.child.lock().unwrap_or_else(|e| e.into_inner()) = pid;
        if let (Some(pid), Some(_)) = (pid, self.reason()) {
            kill_process_group(pid);
        }
    }

    /// Lets `stop` interrupt the statement running on this connection.
    pub fn watch_sql(&self, handle: Option<rusqlite::InterruptHandle>) {
        *self.sql.lock().unwrap_or_else(|e| e.into_inner()) = handle;
        if self.reason().is_some() {
            if let Some(h) = self.sql.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                h.interrupt();
            }
        }
    }
}

impl Cancel {
    /// Lets `stop` cancel the statement a database server runs for this job.
    pub fn watch_server_sql(&self, cancel: Option<crate::backend::SqlCanceller>) {
        *self.server_sql.lock().unwrap_or_else(|e| e.into_inner()) = cancel;
        if self.reason().is_some() {
            self.interrupt_sql();
        }
    }
}

/// The job was stopped; the runner turns this into `cancelled` or an error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopped(pub StopReason);

fn kill_process_group(pid: u32) {
    // The program runs in its own process group, so whatever it started goes with it.
    // SAFETY: kill has no memory preconditions; a stale pid only fails with ESRCH.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}
