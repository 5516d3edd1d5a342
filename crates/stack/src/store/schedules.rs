//! The scheduler's slots: each scheduled minute queues its job once.

use stackport_model::{OrchestrationId, ProjectId, TokenId};

use crate::error::Result;

/// An active orchestration with a schedule, and the last slot it fired (none until the
/// scheduler first saw it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledOrchestration {
    pub id: OrchestrationId,
    pub project: ProjectId,
    pub crontab: String,
    pub timezone: String,
    /// Whose token its jobs run with.
    pub token: TokenId,
    pub last_slot: Option<i64>,
}

/// The scheduler's slots: the last slot (a minute, in microseconds) each orchestration was
/// queued for. A slot is taken by moving the mark from the slot before it, in the transaction
/// that queues the job, so of two ticks that race for a slot one queues it and the other finds
/// it taken, and a restart never queues a slot twice.
pub trait ScheduleSlots {
    /// Every active orchestration with a non-empty `crontabRecord`, of every project, by id.
    fn scheduled_orchestrations(&mut self) -> Result<Vec<ScheduledOrchestration>>;
    /// Starts counting `orchestration`'s slots from `slot` unless it has a mark already;
    /// returns whether it set one.
    fn start_slots(&mut self, orchestration: OrchestrationId, slot: i64) -> Result<bool>;
    /// Moves the mark from `last` to `slot`. False, changing nothing, when the mark is not at
    /// `last` (another tick took a slot since) or there is none.
    fn take_slot(&mut self, orchestration: OrchestrationId, last: i64, slot: i64) -> Result<bool>;
    /// Sets the mark to `slot`, whatever it was: a schedule that begins or changes.
    fn reset_slots(&mut self, orchestration: OrchestrationId, slot: i64) -> Result<()>;
    /// Forgets the mark: the schedule stopped.
    fn forget_slots(&mut self, orchestration: OrchestrationId) -> Result<()>;
}
