//! The metadata seam: everything a stack knows besides table rows and file bytes (projects,
//! tokens, buckets, the table catalog, configurations, jobs, events, ...), behind one
//! object-safe trait so the rules in `ops` and `jobs` do not know which database holds it.
//!
//! Transactions are explicit. [`MetadataStore::begin_read`] gives a consistent read view,
//! [`MetadataStore::begin_write`] a write transaction serialised with every other writer of the
//! stack; nothing a transaction did is visible to others before [`MetaTx::commit`], and dropping
//! it uncommitted rolls it back. Each aggregate is a trait of its own, reached from the
//! transaction, so one operation can touch several aggregates atomically.

use stackport_model::ProjectId;

use crate::error::Result;

mod buckets;
mod configs;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod events;
mod files;
mod jobs;
mod metadata;
mod oauth;
mod orchestrations;
mod projects;
mod schedules;
mod storage_jobs;
mod tables;
mod tokens;
mod triggers;
mod tx;
mod users;
mod workspaces;

pub use buckets::*;
pub use configs::*;
pub use events::*;
pub use files::*;
pub use jobs::*;
pub use metadata::*;
pub use oauth::*;
pub use orchestrations::*;
pub use projects::*;
pub use schedules::*;
pub use storage_jobs::*;
pub use tables::*;
pub use tokens::*;
pub use triggers::*;
pub(crate) use tx::Meta;
pub use tx::Tx;
pub use users::*;
pub use workspaces::*;

/// Where a stack's metadata lives.
pub trait MetadataStore: Send + Sync {
    /// A consistent read view: later writes of others are not seen through it.
    fn begin_read(&self) -> Result<Box<dyn MetaTx + '_>>;
    /// A write transaction; one at a time per stack, whatever the process.
    fn begin_write(&self) -> Result<Box<dyn MetaTx + '_>>;
    /// Waits until the caller is the only writer of `project`'s table data (imports and
    /// structure changes), for as long as the guard lives. It is the store's because it must
    /// hold across every process serving the stack (on PostgreSQL an advisory lock); it is
    /// taken before any transaction and never while one is open, so a long import does not
    /// stall the stack's other requests.
    fn lock_project_writer(&self, project: ProjectId) -> Result<Box<dyn WriterGuard + '_>>;
}

/// Holds a project's writer lock; dropping it lets the next writer in.
pub trait WriterGuard {}

/// One transaction over the metadata.
pub trait MetaTx {
    /// Makes the transaction's writes durable and visible.
    fn commit(self: Box<Self>) -> Result<()>;

    /// Projects of the stack.
    fn projects(&mut self) -> &mut dyn ProjectStore;
    /// Storage API tokens and manage tokens, stored hashed.
    fn tokens(&mut self) -> &mut dyn TokenStore;
    /// The people invited to a project.
    fn users(&mut self) -> &mut dyn UserStore;
    /// OAuth credentials of components, their secrets sealed.
    fn oauth(&mut self) -> &mut dyn OAuthStore;
    /// Buckets of Storage.
    fn buckets(&mut self) -> &mut dyn BucketStore;
    /// The table catalog: tables, their columns, primary keys and aliases.
    fn tables(&mut self) -> &mut dyn TableCatalog;
    /// Key-value metadata on projects, buckets, tables and columns.
    fn metadata(&mut self) -> &mut dyn MetadataEntries;
    /// The records of Storage files (their bytes are behind the file seam).
    fn files(&mut self) -> &mut dyn FileRecords;
    /// Events: one per write, in the same transaction as the write.
    fn events(&mut self) -> &mut dyn EventLog;
    /// Component configurations with rows, state, versions and the trash.
    fn configs(&mut self) -> &mut dyn ConfigStore;
    /// Orchestrations and their tasks.
    fn orchestrations(&mut self) -> &mut dyn OrchestrationStore;
    /// Provisioned resources: workspaces and BI projects.
    fn workspaces(&mut self) -> &mut dyn WorkspaceStore;
    /// The job queue: waiting, claimed, running and ended jobs.
    fn jobs(&mut self) -> &mut dyn JobQueue;
    /// The scheduler's slots: each scheduled minute queues its job once.
    fn schedules(&mut self) -> &mut dyn ScheduleSlots;
    /// Triggers: configurations run when their watched tables have all been imported into.
    fn triggers(&mut self) -> &mut dyn TriggerStore;
    /// Storage jobs: the asynchronous table and bucket operations.
    fn storage_jobs(&mut self) -> &mut dyn StorageJobStore;
}
