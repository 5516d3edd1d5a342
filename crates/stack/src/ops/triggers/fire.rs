//! Firing: an import marks the tables it changed in the transaction that records it; a trigger
//! whose tables are all marked and whose cool-down has passed queues its configuration's job
//! with its token, in the transaction that clears the marks and sets `lastRun`. Everything is
//! in the store, so a restart neither loses a mark nor fires twice, and a trigger still cooling
//! down fires on the scheduler's first tick after the cool-down.

use serde_json::json;
use stackport_model::api::NewJob;
use stackport_model::JobId;

use crate::error::Result;
use crate::jobs::insert_job;
use crate::ops::events::{record, record_at_level, NewEvent};
use crate::store::TriggerRecord;
use crate::Stack;

const MINUTE: i64 = 60_000_000;

impl Stack {
    /// Queues the job of every trigger that is ready and past its cool-down; returns the jobs
    /// queued. Called after each import and on every tick of the scheduler.
    pub fn run_due_triggers(&self) -> Result<Vec<JobId>> {
        let now = self.now_micros();
        let ready = self.store.read(|tx| tx.triggers().ready_triggers())?;
        let mut queued = Vec::new();
        for t in ready {
            let cooled = t
                .last_run_micros
                .is_none_or(|last| now >= last + i64::from(t.cool_down_minutes) * MINUTE);
            if !cooled {
                continue;
            }
            if let Some(job) = self.fire_trigger(&t)? {
                queued.push(job);
            }
        }
        if !queued.is_empty() {
            self.jobs.notify();
        }
        Ok(queued)
    }

    /// Takes `t`'s run and queues its job, both or neither; none if another tick took it or
    /// the job cannot run (an error event says why, and the marks are cleared, so each round
    /// of imports tells it once).
    fn fire_trigger(&self, t: &TriggerRecord) -> Result<Option<JobId>> {
        let new = NewJob {
            component: t.component.clone(),
            config: t.config.to_string(),
            config_row_ids: vec![],
            mode: Default::default(),
        };
        let auth = self.auth_of_token(t.project, t.run_with_token);
        let checked = match &auth {
            Some(auth) => self.check_job_target(auth, &new).map_err(|e| e.to_string()),
            None => Err(format!(
                "token {} it runs with no longer exists or has expired; set runWithTokenId to \
                 a valid token",
                t.run_with_token
            )),
        };
        self.store.write(|tx| {
            let ran = checked.is_ok().then(|| tx.now_micros());
            if !tx.triggers().take_run(t.id, t.last_run_micros, ran)? {
                return Ok(None);
            }
            let tables: Vec<String> = t.tables.iter().map(|w| w.table.to_string()).collect();
            match (&auth, &checked) {
                (Some(auth), Ok(())) => {
                    let job = insert_job(tx, auth, &new, None, "trigger")?;
                    record(
                        tx,
                        t.project,
                        None,
                        NewEvent {
                            event: "storage.triggerFired",
                            message: format!(
                                "Trigger {} queued job {} of {} configuration {}: its tables \
                                 changed",
                                t.id, job.id, t.component, t.config
                            ),
                            object_type: "trigger",
                            object_id: t.id.to_string(),
                            params: json!({"jobId": job.id, "tables": tables}),
                        },
                    )?;
                    Ok(Some(job.id))
                }
                (_, Err(why)) => {
                    record_at_level(
                        tx,
                        t.project,
                        None,
                        "error",
                        NewEvent {
                            event: "storage.triggerFailed",
                            message: format!(
                                "Trigger {} could not queue {} configuration {}: {why}",
                                t.id, t.component, t.config
                            ),
                            object_type: "trigger",
                            object_id: t.id.to_string(),
                            params: json!({"tables": tables}),
                        },
                    )?;
                    Ok(None)
                }
                (None, Ok(())) => Ok(None),
            }
        })
    }
}
