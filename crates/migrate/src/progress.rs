//! What a long step tells the person (or program) watching it.
//!
//! The library only emits events; the binary turns them into bars on a terminal or JSON lines.

use serde::Serialize;

/// The phases of a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Pre-migration validation.
    Plan,
    /// Reading the source into a snapshot.
    Snapshot,
    /// Reading a snapshot's chunks through before a restore writes anything (and in
    /// `snapshot verify`).
    CheckSnapshot,
    /// Writing the snapshot into the destination.
    Restore,
    /// Comparing the two projects.
    Verify,
    /// Writing the report.
    Report,
}

impl Phase {
    /// The phase's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Snapshot => "snapshot",
            Phase::CheckSnapshot => "check",
            Phase::Restore => "restore",
            Phase::Verify => "verify",
            Phase::Report => "report",
        }
    }
}

/// One thing that happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Event {
    /// A phase began; totals are what it expects to move (0 when unknown).
    #[serde(rename_all = "camelCase")]
    PhaseStarted {
        /// The phase.
        phase: Phase,
        /// Table data bytes it expects to move.
        total_bytes: u64,
        /// Table rows it expects to move.
        total_rows: u64,
        /// Objects (tables, configurations, …) it expects to handle.
        total_items: u64,
    },
    /// Work done since the last event of the phase (increments, not totals).
    #[serde(rename_all = "camelCase")]
    Advanced {
        /// The phase.
        phase: Phase,
        /// Table data bytes.
        bytes: u64,
        /// Table rows.
        rows: u64,
        /// Objects finished.
        items: u64,
    },
    /// An object was finished.
    #[serde(rename_all = "camelCase")]
    ItemDone {
        /// The phase.
        phase: Phase,
        /// What it was, e.g. `table in.c-sales.orders`.
        object: String,
    },
    /// Something a person should know; the run goes on.
    #[serde(rename_all = "camelCase")]
    Warning {
        /// The phase.
        phase: Phase,
        /// What happened and what to do.
        message: String,
    },
    /// A phase ended.
    #[serde(rename_all = "camelCase")]
    PhaseFinished {
        /// The phase.
        phase: Phase,
        /// How long it took.
        seconds: f64,
    },
}

/// Receives events; called from several tasks at once.
pub trait Progress: Send + Sync {
    /// One event.
    fn event(&self, event: Event);
}

/// Drops every event.
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _: Event) {}
}

/// Times a phase and reports its start and end.
pub(crate) struct PhaseTimer<'a> {
    progress: &'a dyn Progress,
    phase: Phase,
    started: std::time::Instant,
}

impl<'a> PhaseTimer<'a> {
    pub(crate) fn start(
        progress: &'a dyn Progress,
        phase: Phase,
        total_bytes: u64,
        total_rows: u64,
        total_items: u64,
    ) -> Self {
        progress.event(Event::PhaseStarted {
            phase,
            total_bytes,
            total_rows,
            total_items,
        });
        PhaseTimer {
            progress,
            phase,
            started: std::time::Instant::now(),
        }
    }

    pub(crate) fn item(&self, object: String) {
        crate::crash::point(format_args!("{}: {object}", self.phase.label()));
        self.progress.event(Event::Advanced {
            phase: self.phase,
            bytes: 0,
            rows: 0,
            items: 1,
        });
        self.progress.event(Event::ItemDone {
            phase: self.phase,
            object,
        });
    }

    pub(crate) fn finish(self) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        self.progress.event(Event::PhaseFinished {
            phase: self.phase,
            seconds,
        });
        seconds
    }
}

/// Adds up small increments and reports them about once per MiB, so a large table makes a
/// few hundred events rather than one per network block.
pub(crate) struct Tally {
    progress: std::sync::Arc<dyn Progress>,
    phase: Phase,
    bytes: u64,
    rows: u64,
}

impl Tally {
    const EVERY_BYTES: u64 = 1024 * 1024;

    pub(crate) fn new(progress: std::sync::Arc<dyn Progress>, phase: Phase) -> Self {
        Tally {
            progress,
            phase,
            bytes: 0,
            rows: 0,
        }
    }

    pub(crate) fn add(&mut self, bytes: u64, rows: u64) {
        self.bytes += bytes;
        self.rows += rows;
        if self.bytes >= Self::EVERY_BYTES {
            self.flush();
        }
    }

    pub(crate) fn flush(&mut self) {
        if self.bytes > 0 || self.rows > 0 {
            self.progress.event(Event::Advanced {
                phase: self.phase,
                bytes: self.bytes,
                rows: self.rows,
                items: 0,
            });
            self.bytes = 0;
            self.rows = 0;
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        self.flush();
    }
}
