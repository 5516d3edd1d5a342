//! The stack itself: an independent installation of the data platform, holding many projects.
//!
//! [`Stack`] is the entry point. Every operation takes the caller's [`TokenAuth`] (or is a
//! stack-admin operation) and enforces the token's rights itself, so no layer above can forget
//! to. Nothing here knows about HTTP; the `server` crate maps [`Error`]s to statuses.
//!
//! Nothing here knows which database either: metadata, table rows and file bytes sit behind
//! the seams [`store::MetadataStore`], [`backend::TableBackend`] and [`files::FileStore`],
//! chosen by whoever opens the stack ([`Stack::open_with`]; the embedded default is
//! `stackport_stack_sqlite::open`). See `docs/architecture.md`.
//!
//! The stack's own files in its data dir: `stack.json` (settings), `components.json` (the
//! component registry), `master.key` (owner-only), `spool/`, `jobs/` and `workspaces/`.

pub mod backend;
pub mod blob;
mod clock;
pub mod csv;
mod error;
pub mod files;
mod fsutil;
pub mod jobs;
mod ops;
mod registry;
mod secret;
pub mod secrets;
pub mod settings;
mod stack;
mod storage_jobs;
pub mod store;
pub mod table_servers;
pub mod url_fetch;

#[cfg(any(test, feature = "test-clock"))]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};
pub use error::{Error, ErrorKind, Result};
pub use jobs::{JobFilter, JobRunner};
pub use ops::auth::TokenAuth;
pub use ops::configs::{ConfigInclude, MAX_DOCUMENT_BYTES};
pub use ops::encryption::MAX_ENCRYPT_BYTES;
pub use ops::events::EventFilter;
pub use ops::export::{ExportOptions, ExportStream};
pub use ops::files::{FileFilter, NewFile, StagedUpload};
pub use ops::fingerprint::RowSum;
pub use ops::import::ImportOptions;
pub use ops::metadata::MetadataObject;
pub use ops::provisioning::LoadKind;
pub use ops::tables::TableInclude;
pub use ops::typing;
pub use settings::{BiAccount, JobSettings, Limits, NetworkSettings, Quotas, StackSettings};
pub use stack::{Stack, Storage};
