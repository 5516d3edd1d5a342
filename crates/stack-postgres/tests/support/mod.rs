//! The database a test runs against: a fresh one on the test process's cluster.

#![allow(dead_code)] // each test binary uses its part

use stackport_stack_postgres::PostgresBackend;
use stackport_testkit::postgres::Cluster;

/// The superuser URL of a fresh, empty database. Never a skip: without a server the harness
/// fails the test, saying what is missing.
pub fn url() -> String {
    Cluster::shared().fresh_database("backend")
}

/// A backend on a fresh database.
pub fn backend() -> PostgresBackend {
    on(&url())
}

/// A backend on the database at `url`.
pub fn on(url: &str) -> PostgresBackend {
    PostgresBackend::connect(url)
        .unwrap_or_else(|e| panic!("cannot use the PostgreSQL database at '{url}': {e:?}"))
}
