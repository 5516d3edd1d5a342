//! The scheduler's slots: `schedule_slots`, one row per scheduled orchestration (gone with it
//! through `ON DELETE CASCADE`).

use rusqlite::params;
use stackport_model::{OrchestrationId, ProjectId, TokenId};
use stackport_stack::store::{ScheduleSlots, ScheduledOrchestration};
use stackport_stack::Result;

use crate::SqliteTx;

impl ScheduleSlots for SqliteTx<'_> {
    fn scheduled_orchestrations(&mut self) -> Result<Vec<ScheduledOrchestration>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.project_id, o.crontab_record, o.timezone, o.token_id, s.last_slot \
             FROM orchestrations o LEFT JOIN schedule_slots s ON s.orchestration_id = o.id \
             WHERE o.active = 1 AND o.crontab_record IS NOT NULL AND o.crontab_record != '' \
             ORDER BY o.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ScheduledOrchestration {
                id: OrchestrationId(r.get(0)?),
                project: ProjectId(r.get(1)?),
                crontab: r.get(2)?,
                timezone: r.get(3)?,
                token: TokenId(r.get(4)?),
                last_slot: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn start_slots(&mut self, orchestration: OrchestrationId, slot: i64) -> Result<bool> {
        Ok(self.conn.execute(
            "INSERT OR IGNORE INTO schedule_slots (orchestration_id, last_slot) VALUES (?1, ?2)",
            params![orchestration.0, slot],
        )? > 0)
    }

    fn take_slot(&mut self, orchestration: OrchestrationId, last: i64, slot: i64) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE schedule_slots SET last_slot = ?3 \
             WHERE orchestration_id = ?1 AND last_slot = ?2",
            params![orchestration.0, last, slot],
        )? > 0)
    }

    fn reset_slots(&mut self, orchestration: OrchestrationId, slot: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO schedule_slots (orchestration_id, last_slot) VALUES (?1, ?2) \
             ON CONFLICT (orchestration_id) DO UPDATE SET last_slot = excluded.last_slot",
            params![orchestration.0, slot],
        )?;
        Ok(())
    }

    fn forget_slots(&mut self, orchestration: OrchestrationId) -> Result<()> {
        self.conn.execute(
            "DELETE FROM schedule_slots WHERE orchestration_id = ?1",
            [orchestration.0],
        )?;
        Ok(())
    }
}
