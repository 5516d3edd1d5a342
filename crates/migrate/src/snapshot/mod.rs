//! Snapshots: a directory of plain files, defined in `docs/snapshot-format.md`.

mod chunker;
mod create;
pub mod format;
mod reader;
mod strip;
mod write;

pub use create::{create, SnapshotOptions, SnapshotOutcome};
pub use reader::{open, Snapshot, SnapshotConfig};
