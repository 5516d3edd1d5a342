//! What the binary's integration tests share.

pub use stackport_testkit::stack::Backend;
pub use stackport_testkit::TempDir;

use stackport_demo::DemoBackend;

/// A fresh directory named after the test's `label`, removed when dropped.
pub fn temp(label: &str) -> TempDir {
    TempDir::new(&format!("cli-{label}"))
}

/// The demo stacks' storage for `backend`: for PostgreSQL a fresh database of the test
/// process's cluster per stack.
#[allow(dead_code)] // not every test binary that shares this module starts demo stacks
pub async fn demo_backend(backend: Backend) -> DemoBackend {
    match backend {
        Backend::Sqlite => DemoBackend::Sqlite,
        Backend::Postgresql => tokio::task::spawn_blocking(|| {
            let cluster = stackport_testkit::postgres::Cluster::shared();
            DemoBackend::Postgresql {
                eu_central: cluster.fresh_database("demo_eu_central"),
                us_east: cluster.fresh_database("demo_us_east"),
            }
        })
        .await
        .unwrap(),
    }
}
