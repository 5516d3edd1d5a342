//! [`super::super::ScheduleSlots`]'s cases.

use super::NewStore;

pub(super) fn run(new_store: NewStore<'_>) {
    let _ = new_store;
}
