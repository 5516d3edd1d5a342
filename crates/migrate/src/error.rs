//! Why a migration step failed, always naming the object and what to do. The cause is kept as
//! the error's source (not repeated in its message), so `{:#}` prints each part once.

use std::path::{Path, PathBuf};

use stackport_client::ClientError;

/// Result of migration steps.
pub type Result<T, E = MigrateError> = std::result::Result<T, E>;

/// A failed step.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A stack refused or failed a call.
    #[error("{what}")]
    Api {
        /// What was being done, naming the object.
        what: String,
        /// The stack's answer.
        #[source]
        source: ClientError,
    },
    /// A local file could not be read or written.
    #[error("{}: {what}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A snapshot is incomplete, damaged or not one this version can read.
    #[error("snapshot file {file}: {problem}")]
    Snapshot {
        /// The file inside the snapshot (or the snapshot dir).
        file: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A restore failed after it had written to the destination.
    #[error(
        "the restore stopped part-way: destination project {project} on stack {stack} now holds part of the snapshot; \
         delete that project, create a new empty one and restore again (the source was not changed)"
    )]
    PartlyRestored {
        /// The destination project.
        project: String,
        /// The destination stack.
        stack: String,
        /// What stopped it.
        #[source]
        source: Box<MigrateError>,
    },
    /// The migration will not start or go on, for a reason a person has to resolve.
    #[error("{0}")]
    Refused(String),
}

impl MigrateError {
    pub(crate) fn io(path: &Path, what: &str, source: std::io::Error) -> Self {
        MigrateError::Io {
            path: path.to_path_buf(),
            what: what.to_string(),
            source,
        }
    }

    pub(crate) fn snapshot(file: impl Into<String>, problem: impl Into<String>) -> Self {
        MigrateError::Snapshot {
            file: file.into(),
            problem: problem.into(),
        }
    }
}

/// Names the object a failed call was about.
pub(crate) trait ApiContext<T> {
    fn api(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> ApiContext<T> for std::result::Result<T, ClientError> {
    fn api(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| MigrateError::Api {
            what: what(),
            source,
        })
    }
}
