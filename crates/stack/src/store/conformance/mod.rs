//! The metadata seam's conformance suite: what every [`MetadataStore`] must do, run against
//! each implementation by its own tests (`stackport-stack-sqlite` runs it on SQLite). Compiled
//! only for tests (feature `conformance`), never into a release binary.
//!
//! Each case gets a fresh, empty store from `new_store`.

use stackport_model::ProjectId;

use super::{MetaTx, MetadataStore, NewProjectRecord};

mod buckets;
mod configs;
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
mod transactions;
mod triggers;
mod users;
mod workspaces;

/// Makes a fresh, empty store.
pub type NewStore<'a> = &'a dyn Fn() -> Box<dyn MetadataStore>;

/// Runs every case of every aggregate.
pub fn run_all(new_store: NewStore<'_>) {
    transactions::run(new_store);
    projects::run(new_store);
    tokens::run(new_store);
    users::run(new_store);
    oauth::run(new_store);
    buckets::run(new_store);
    tables::run(new_store);
    metadata::run(new_store);
    files::run(new_store);
    events::run(new_store);
    configs::run(new_store);
    orchestrations::run(new_store);
    workspaces::run(new_store);
    jobs::run(new_store);
    schedules::run(new_store);
    triggers::run(new_store);
    storage_jobs::run(new_store);
}

/// A new project in `tx`, for cases that need one to hang their records on.
pub(crate) fn new_project(tx: &mut dyn MetaTx, name: &str) -> ProjectId {
    tx.projects()
        .insert_project(&NewProjectRecord {
            name,
            backend: "sqlite",
            placement: None,
            created_micros: 1_700_000_000_000_000,
        })
        .expect("a project is inserted")
}

/// Runs `f` in a write transaction of `store` and commits it.
pub(crate) fn write<T>(store: &dyn MetadataStore, f: impl FnOnce(&mut dyn MetaTx) -> T) -> T {
    let mut tx = store.begin_write().expect("a write transaction begins");
    let out = f(tx.as_mut());
    tx.commit().expect("the transaction commits");
    out
}

/// Runs `f` over a read view of `store`.
pub(crate) fn read<T>(store: &dyn MetadataStore, f: impl FnOnce(&mut dyn MetaTx) -> T) -> T {
    let mut tx = store.begin_read().expect("a read view begins");
    let out = f(tx.as_mut());
    tx.commit().expect("the read view ends");
    out
}
