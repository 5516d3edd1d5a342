//! The scheduler: every active orchestration with a `crontabRecord` is queued at the minutes
//! its schedule names, in its time zone, with the token of whoever made the orchestration.
//!
//! Each orchestration's last fired slot is kept in [`crate::store::ScheduleSlots`] and moved
//! in the same transaction that queues the job, so a slot fires at most once whatever restarts
//! or racing ticks happen. After downtime only the latest missed slot fires, once.

use serde_json::json;
use stackport_model::api::NewJob;
use stackport_model::JobId;

use super::cron::Schedule;
use super::{insert_job, ORCHESTRATOR};
use crate::error::Result;
use crate::ops::events::{record_at_level, NewEvent};
use crate::store::ScheduledOrchestration;
use crate::Stack;

const MINUTE: i64 = 60_000_000;

impl Stack {
    /// Queues every orchestration whose schedule has a slot due since its last one; returns the
    /// jobs queued. The runner calls this every second; a test calls it after moving the clock.
    pub fn run_due_schedules(&self) -> Result<Vec<JobId>> {
        let now = self.now_micros();
        let minute = now - now.rem_euclid(MINUTE);
        let due = self
            .store
            .read(|tx| tx.schedules().scheduled_orchestrations())?;
        let mut queued = Vec::new();
        for o in due {
            let Some(last) = o.last_slot else {
                // Scheduled before this stack kept slots: count from now.
                self.store
                    .write(|tx| tx.schedules().start_slots(o.id, minute))?;
                continue;
            };
            let schedule = match Schedule::parse(&o.crontab, &o.timezone) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(orchestration = %o.id, error = %e, "a schedule cannot be read");
                    continue;
                }
            };
            let Some(slot) = schedule.latest_between(last, minute) else {
                // Nothing due: move the mark on now and then, so the next ticks do not look
                // back over the same stretch (a yearly schedule would scan a year each second).
                if minute - last > 10 * MINUTE {
                    self.store
                        .write(|tx| tx.schedules().take_slot(o.id, last, minute))?;
                }
                continue;
            };
            match self.fire(&o, last, slot)? {
                Some(job) => queued.push(job),
                None => continue,
            }
        }
        if !queued.is_empty() {
            self.jobs.notify();
        }
        Ok(queued)
    }

    /// Takes `slot` for `o` and queues its job, both or neither; none if another tick took it.
    fn fire(&self, o: &ScheduledOrchestration, last: i64, slot: i64) -> Result<Option<JobId>> {
        let new = NewJob {
            component: ORCHESTRATOR.parse().expect("a valid component id"),
            config: o.id.to_string(),
            config_row_ids: vec![],
            mode: Default::default(),
        };
        let auth = self.auth_of_token(o.project, o.token);
        let checked = match &auth {
            Some(auth) => self.check_job_target(auth, &new).map_err(|e| e.to_string()),
            None => Err(format!(
                "token {} that owns the orchestration no longer exists or has expired; \
                 save the orchestration again with a valid token",
                o.token
            )),
        };
        self.store.write(|tx| {
            if !tx.schedules().take_slot(o.id, last, slot)? {
                return Ok(None);
            }
            match (&auth, &checked) {
                (Some(auth), Ok(())) => {
                    let job = insert_job(tx, auth, &new, None, "schedule")?;
                    Ok(Some(job.id))
                }
                (_, Err(why)) => {
                    record_at_level(
                        tx,
                        o.project,
                        None,
                        "error",
                        NewEvent {
                            event: "orchestrations.scheduleFailed",
                            message: format!(
                                "Orchestration {} was due at {} but could not be queued: {why}",
                                o.id,
                                stackport_model::time::format(&crate::ops::time(slot))
                            ),
                            object_type: "orchestration",
                            object_id: o.id.to_string(),
                            params: json!({"slot": crate::ops::time(slot)}),
                        },
                    )?;
                    Ok(None)
                }
                (None, Ok(())) => Ok(None),
            }
        })
    }
}
