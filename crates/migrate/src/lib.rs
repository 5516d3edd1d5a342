//! Moves a project from one stack to another: validate, snapshot, restore, report.
//!
//! Everything here talks to stacks through [`stackport_client`] only, exactly as it would to two
//! stacks on different continents: no shortcut into a stack's files or database exists, so what
//! works in the tests works between real installations. The client used for the source is
//! read-only, so no code path here can change the source project.

mod backend_change;
mod checklist;
mod crash;
mod endpoint;
mod error;
mod journal;
mod plan;
mod progress;
mod read;
mod regular_file;
mod report;
mod restore;
mod run;
pub mod snapshot;
mod verify;

pub use backend_change::{BackendChange, RewriteTransformation, TypedColumnChange};
pub use crash::points_reached;
pub use endpoint::Endpoint;
pub use error::{MigrateError, Result};
pub use plan::{plan, plan_with, Finding, Plan, PlanInventory, PlanOptions, Severity};
pub use progress::{Event, NoProgress, Phase, Progress};
pub use report::{Report, ReportFiles};
pub use restore::{restore, RestoreOptions, RestoreOutcome};
pub use run::{run, RunOptions, RunOutcome};
pub use verify::{verify, verify_transformations, Difference, Verification};

/// The component id of an orchestration's job and trigger (its configuration id is the
/// orchestration's id), as the stacks spell it.
pub(crate) const ORCHESTRATOR: &str = "orchestrator";
