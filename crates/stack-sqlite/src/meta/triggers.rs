//! Triggers: one row each in `triggers`, their watched tables and marks in `trigger_tables`.

use rusqlite::params;
use stackport_model::api::TokenRef;
use stackport_model::{ProjectId, TableId, TokenId, TriggerId};
use stackport_stack::store::{TriggerFields, TriggerRecord, TriggerStore, WatchedTable};
use stackport_stack::Result;

use crate::SqliteTx;

const COLUMNS: &str = "id, project_id, component_id, config_id, run_with_token_id, \
    creator_token_id, creator_token_description, cool_down_minutes, last_run, active";

fn parsed<T: std::str::FromStr>(text: String) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            e.to_string().into(),
        )
    })
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TriggerRecord> {
    Ok(TriggerRecord {
        id: TriggerId(r.get(0)?),
        project: ProjectId(r.get(1)?),
        component: parsed(r.get(2)?)?,
        config: parsed(r.get(3)?)?,
        run_with_token: TokenId(r.get(4)?),
        creator: TokenRef {
            id: TokenId(r.get(5)?),
            description: r.get(6)?,
        },
        cool_down_minutes: r.get(7)?,
        last_run_micros: r.get(8)?,
        active: r.get(9)?,
        tables: Vec::new(),
    })
}

impl SqliteTx<'_> {
    fn triggers_where(
        &mut self,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<TriggerRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM triggers WHERE {filter} ORDER BY id"
        ))?;
        let mut out = stmt
            .query_map(args, from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        let mut tables = self.conn.prepare_cached(
            "SELECT table_id, changed FROM trigger_tables WHERE trigger_id = ?1 ORDER BY position",
        )?;
        for t in &mut out {
            t.tables = tables
                .query_map([t.id.0], |r| {
                    Ok(WatchedTable {
                        table: parsed(r.get(0)?)?,
                        changed: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
        }
        Ok(out)
    }

    fn insert_tables(
        &mut self,
        project: ProjectId,
        id: TriggerId,
        tables: &[TableId],
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO trigger_tables (trigger_id, project_id, table_id, position, changed) \
             VALUES (?1, ?2, ?3, ?4, 0) \
             ON CONFLICT (trigger_id, table_id) DO UPDATE SET position = excluded.position",
        )?;
        for (at, table) in tables.iter().enumerate() {
            stmt.execute(params![id.0, project.0, table.to_string(), at as i64])?;
        }
        Ok(())
    }
}

impl TriggerStore for SqliteTx<'_> {
    fn insert_trigger(
        &mut self,
        project: ProjectId,
        f: &TriggerFields<'_>,
        creator: &TokenRef,
    ) -> Result<TriggerId> {
        self.conn.execute(
            "INSERT INTO triggers (project_id, component_id, config_id, run_with_token_id, \
             creator_token_id, creator_token_description, cool_down_minutes, last_run, active) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
            params![
                project.0,
                f.component.as_str(),
                f.config.as_str(),
                f.run_with_token.0,
                creator.id.0,
                creator.description,
                f.cool_down_minutes,
                f.active
            ],
        )?;
        let id = TriggerId(self.conn.last_insert_rowid() as u64);
        self.insert_tables(project, id, f.tables)?;
        Ok(id)
    }

    fn get_trigger(&mut self, project: ProjectId, id: TriggerId) -> Result<Option<TriggerRecord>> {
        Ok(self
            .triggers_where("project_id = ?1 AND id = ?2", &[&project.0, &id.0])?
            .pop())
    }

    fn list_triggers(&mut self, project: ProjectId) -> Result<Vec<TriggerRecord>> {
        self.triggers_where("project_id = ?1", &[&project.0])
    }

    fn update_trigger(
        &mut self,
        project: ProjectId,
        id: TriggerId,
        f: &TriggerFields<'_>,
    ) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE triggers SET component_id = ?3, config_id = ?4, run_with_token_id = ?5, \
             cool_down_minutes = ?6, active = ?7 WHERE project_id = ?1 AND id = ?2",
            params![
                project.0,
                id.0,
                f.component.as_str(),
                f.config.as_str(),
                f.run_with_token.0,
                f.cool_down_minutes,
                f.active
            ],
        )?;
        if changed == 0 {
            return Ok(false);
        }
        let watched: Vec<String> = self
            .conn
            .prepare_cached("SELECT table_id FROM trigger_tables WHERE trigger_id = ?1")?
            .query_map([id.0], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for gone in watched
            .iter()
            .filter(|w| !f.tables.iter().any(|t| t.to_string() == **w))
        {
            self.conn.execute(
                "DELETE FROM trigger_tables WHERE trigger_id = ?1 AND table_id = ?2",
                params![id.0, gone],
            )?;
        }
        self.insert_tables(project, id, f.tables)?;
        if !f.active {
            self.conn.execute(
                "UPDATE trigger_tables SET changed = 0 WHERE trigger_id = ?1",
                [id.0],
            )?;
        }
        Ok(true)
    }

    fn delete_trigger(&mut self, project: ProjectId, id: TriggerId) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM triggers WHERE project_id = ?1 AND id = ?2",
            params![project.0, id.0],
        )? > 0)
    }

    fn mark_table_changed(&mut self, project: ProjectId, table: &TableId) -> Result<()> {
        self.conn.execute(
            "UPDATE trigger_tables SET changed = 1 WHERE project_id = ?1 AND table_id = ?2 \
             AND trigger_id IN (SELECT id FROM triggers WHERE active = 1)",
            params![project.0, table.to_string()],
        )?;
        Ok(())
    }

    fn ready_triggers(&mut self) -> Result<Vec<TriggerRecord>> {
        self.triggers_where(
            "active = 1 \
             AND EXISTS (SELECT 1 FROM trigger_tables t WHERE t.trigger_id = triggers.id) \
             AND NOT EXISTS (SELECT 1 FROM trigger_tables t \
                 WHERE t.trigger_id = triggers.id AND t.changed = 0)",
            &[],
        )
    }

    fn take_run(
        &mut self,
        id: TriggerId,
        last_run: Option<i64>,
        ran_micros: Option<i64>,
    ) -> Result<bool> {
        let taken = self.conn.execute(
            "UPDATE triggers SET last_run = COALESCE(?3, last_run) \
             WHERE id = ?1 AND last_run IS ?2 \
             AND NOT EXISTS (SELECT 1 FROM trigger_tables t \
                 WHERE t.trigger_id = triggers.id AND t.changed = 0)",
            params![id.0, last_run, ran_micros],
        )? > 0;
        if taken {
            self.conn.execute(
                "UPDATE trigger_tables SET changed = 0 WHERE trigger_id = ?1",
                [id.0],
            )?;
        }
        Ok(taken)
    }
}
