//! The scheduler's slots: each scheduled minute queues its job once.

/// The scheduler's slots: each scheduled minute queues its job once.
pub trait ScheduleSlots {}
