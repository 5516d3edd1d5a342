//! Triggers: a configuration to run once every watched table has been imported into.

use stackport_model::api::TokenRef;
use stackport_model::{ComponentId, ConfigId, ProjectId, TableId, TokenId, TriggerId};

use crate::error::Result;

/// What a trigger is, as saved: whole, for an insert and for an update alike.
#[derive(Debug, Clone)]
pub struct TriggerFields<'a> {
    pub component: &'a ComponentId,
    pub config: &'a ConfigId,
    /// The token its jobs run with.
    pub run_with_token: TokenId,
    pub cool_down_minutes: u32,
    /// In the order given; no repeats.
    pub tables: &'a [TableId],
    /// An inactive trigger marks nothing and never fires.
    pub active: bool,
}

/// A saved trigger with the state of its watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRecord {
    pub id: TriggerId,
    pub project: ProjectId,
    pub component: ComponentId,
    pub config: ConfigId,
    pub run_with_token: TokenId,
    pub creator: TokenRef,
    pub cool_down_minutes: u32,
    /// When it last ran (queued its job), by the stack's clock.
    pub last_run_micros: Option<i64>,
    pub active: bool,
    /// Each watched table, and whether it was imported into since the last run.
    pub tables: Vec<WatchedTable>,
}

/// One watched table and its mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedTable {
    pub table: TableId,
    pub changed: bool,
}

impl TriggerRecord {
    /// Every watched table changed since the last run (and there is at least one).
    pub fn all_changed(&self) -> bool {
        !self.tables.is_empty() && self.tables.iter().all(|t| t.changed)
    }
}

/// Triggers of a project. The marks are in the store, not in memory, so a restart neither
/// loses an import nor fires twice; a deleted table leaves every trigger that watched it.
pub trait TriggerStore {
    /// Inserts a trigger, its tables unmarked; returns the id the store minted (never reused).
    fn insert_trigger(
        &mut self,
        project: ProjectId,
        fields: &TriggerFields<'_>,
        creator: &TokenRef,
    ) -> Result<TriggerId>;
    /// The trigger, if it is `project`'s.
    fn get_trigger(&mut self, project: ProjectId, id: TriggerId) -> Result<Option<TriggerRecord>>;
    /// The project's triggers, by id.
    fn list_triggers(&mut self, project: ProjectId) -> Result<Vec<TriggerRecord>>;
    /// Replaces every field (id, creator and last run stay). A table it keeps watching keeps
    /// its mark, a new one starts unmarked; made inactive, every mark is cleared. False if
    /// there is no such trigger.
    fn update_trigger(
        &mut self,
        project: ProjectId,
        id: TriggerId,
        fields: &TriggerFields<'_>,
    ) -> Result<bool>;
    /// Deletes the trigger; false if there was none.
    fn delete_trigger(&mut self, project: ProjectId, id: TriggerId) -> Result<bool>;
    /// Marks `table` changed in every active trigger of `project` that watches it.
    fn mark_table_changed(&mut self, project: ProjectId, table: &TableId) -> Result<()>;
    /// Every active trigger of every project whose watched tables have all changed, by id.
    fn ready_triggers(&mut self) -> Result<Vec<TriggerRecord>>;
    /// Clears the trigger's marks and, with `ran_micros`, sets its last run: only when its
    /// last run is still `last_run` and every table is still marked, so of two ticks that race
    /// one takes the run. Returns whether it took it.
    fn take_run(
        &mut self,
        id: TriggerId,
        last_run: Option<i64>,
        ran_micros: Option<i64>,
    ) -> Result<bool>;
}
