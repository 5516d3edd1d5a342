//! A real stack on the embedded storage, in a test's own directory, and the project most tests
//! act in: the stack's integration tests and the embedded storage's start from the same place,
//! so a change to how a stack is opened or a project made is made here once.

use std::path::Path;
use std::sync::Arc;

use stackport_model::api::{NewBucket, NewProject};
use stackport_model::{BackendName, BucketId, ColumnName, ProjectId, Stage};
use stackport_stack::table_servers::PostgresServer;
use stackport_stack::{ManualClock, Stack, StackSettings, TokenAuth};

/// For a test that expects the open itself to fail: the stack the local defaults give, on
/// `dir`.
pub fn try_open(dir: &Path) -> stackport_stack::Result<Stack> {
    stackport_stack_sqlite::open(dir, || StackSettings::local_default("127.0.0.1:0"))
}

/// The stack the local defaults give, on `dir` (a new one, or the one a test opened there
/// before, to see what survives a restart).
pub fn open(dir: &Path) -> Stack {
    open_with(dir, None, |_| {})
}

/// As [`open`], for a test that checks times against a `clock` it holds and moves, or limits it
/// lowers in `settings` (applied when `dir` has no `stack.json` yet, as an operator's first
/// start would).
pub fn open_with(
    dir: &Path,
    clock: Option<Arc<ManualClock>>,
    settings: impl FnOnce(&mut StackSettings),
) -> Stack {
    let stack = stackport_stack_sqlite::open(dir, || {
        let mut s = StackSettings::local_default("127.0.0.1:0");
        settings(&mut s);
        s
    })
    .expect("the stack opens");
    match clock {
        Some(clock) => stack.with_clock(clock),
        None => stack,
    }
}

/// Which backend a test's projects keep their tables in: tests that touch table data run on
/// each, the same test body for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file per project, the embedded default.
    Sqlite,
    /// A schema per project on the test process's PostgreSQL cluster (a fresh database per
    /// stack), started by `scripts/postgres`; a test fails when it cannot be started.
    Postgresql,
}

impl Backend {
    /// Both, for a test to loop over.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgresql];

    /// The name projects record.
    pub fn name(self) -> BackendName {
        match self {
            Backend::Sqlite => BackendName::SQLITE,
            Backend::Postgresql => BackendName::POSTGRESQL,
        }
    }

    /// `settings` changed so new projects get this backend: for PostgreSQL, a fresh database of
    /// the shared cluster registered as server `pg1`, offered beside SQLite. Blocking (it
    /// creates the database with the blocking client): call it off the async threads.
    pub fn apply(self, settings: &mut StackSettings) {
        if self == Backend::Postgresql && settings.postgres.is_empty() {
            let url = crate::postgres::Cluster::shared().fresh_database("stack");
            settings.postgres.push(PostgresServer {
                id: "pg1".into(),
                url,
                sealed_password: None,
                accepts_new_projects: true,
            });
            if !settings.backends.contains(&BackendName::POSTGRESQL) {
                settings.backends.push(BackendName::POSTGRESQL);
            }
        }
        settings.default_backend = self.name();
    }
}

/// As [`open_with`], on the storage every backend needs, with new projects on `backend`
/// (settings applied when `dir` has no `stack.json` yet; a reopened stack keeps its servers).
pub fn open_on(
    dir: &Path,
    backend: Backend,
    clock: Option<Arc<ManualClock>>,
    settings: impl FnOnce(&mut StackSettings),
) -> Stack {
    let stack = stackport_engines::open(dir, || {
        let mut s = StackSettings::local_default("127.0.0.1:0");
        backend.apply(&mut s);
        settings(&mut s);
        s
    })
    .expect("the stack opens");
    match clock {
        Some(clock) => stack.with_clock(clock),
        None => stack,
    }
}

/// A project to act in: its id, its master token as the stack's operations take it, and the
/// token's plaintext for a test that authenticates again (after a restart, say).
pub fn new_project(stack: &Stack, name: &str) -> (ProjectId, TokenAuth, String) {
    let created = stack
        .create_project(&NewProject {
            name: name.into(),
            ..Default::default()
        })
        .expect("a project is created");
    let auth = stack
        .authenticate(Some(&created.token))
        .expect("the master token is valid");
    (created.project.id, auth, created.token)
}

/// An input bucket on the project's default backend, for a test that needs tables.
pub fn new_bucket(stack: &Stack, auth: &TokenAuth, name: &str) -> BucketId {
    stack
        .create_bucket(
            auth,
            &NewBucket {
                name: name.into(),
                stage: Stage::In,
                display_name: None,
                description: None,
                backend: None,
            },
        )
        .expect("a bucket is created")
        .id
}

/// Column names a test writes as plain strings; each must be valid.
pub fn cols(names: &[&str]) -> Vec<ColumnName> {
    names
        .iter()
        .map(|n| ColumnName::parse(n).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TempDir;

    #[test]
    fn a_new_project_s_token_is_its_master_and_outlives_a_restart() {
        let dir = TempDir::new("testkit-stack");
        let clock = Arc::new(ManualClock::at(1_900_000_000_000_000));
        let stack = open_with(&dir, Some(clock), |s| s.limits.max_file_bytes = 7);
        let (id, auth, token) = new_project(&stack, "p");
        assert_eq!(auth.project(), id);
        let bucket = new_bucket(&stack, &auth, "b");
        let made = stack.get_bucket(&auth, &bucket).unwrap();
        assert_eq!(made.created.timestamp_micros(), 1_900_000_000_000_000);
        drop(stack);

        let stack = open(&dir);
        assert_eq!(
            stack.settings().limits.max_file_bytes,
            7,
            "kept in stack.json"
        );
        assert_eq!(stack.authenticate(Some(&token)).unwrap().project(), id);
        drop(stack);
        assert!(try_open(&dir).is_ok());
        assert_eq!(cols(&["id", "v"])[1].as_str(), "v");
    }
}
