//! The database a test runs against.

#![allow(dead_code)] // each test binary uses its part

use stackport_stack_postgres::PostgresBackend;

/// The test database's address: `STACKPORT_PG_URL` until the shared harness lands. Never a
/// skip: without a server the test fails, saying what is missing.
pub fn url() -> String {
    std::env::var("STACKPORT_PG_URL").unwrap_or_else(|_| {
        panic!("no PostgreSQL to test against: set STACKPORT_PG_URL to a fresh database")
    })
}

/// A backend on the test database.
pub fn backend() -> PostgresBackend {
    let url = url();
    PostgresBackend::connect(&url)
        .unwrap_or_else(|e| panic!("cannot use the PostgreSQL database at '{url}': {e:?}"))
}
