//! The scheduler's slots: each scheduled minute queues its job once.

use stackport_stack::store::ScheduleSlots;

use crate::SqliteTx;

impl ScheduleSlots for SqliteTx<'_> {}
