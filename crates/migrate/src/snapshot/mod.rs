//! Snapshots: a directory of plain files, defined in `docs/snapshot-format.md`.

mod checks;
mod chunker;
mod create;
pub mod format;
mod reader;
mod strip;
mod verify_data;
mod write;

pub(crate) use checks::orchestration_order;
pub(crate) use chunker::hex;
pub use create::{create, SnapshotOptions, SnapshotOutcome};
pub use reader::{open, Snapshot, SnapshotConfig};
pub(crate) use strip::strip_configuration;
pub use verify_data::{verify_data, DataCheck};
