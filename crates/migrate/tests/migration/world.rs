//! Two demo stacks, a seeded source project and an empty destination, in a temp dir that goes
//! away with the test.

use std::path::PathBuf;
use std::sync::Arc;

use stackport_client::Client;
use stackport_demo::{
    create_empty_project, seed_source_project, start_demo_stacks_on, DemoBackend, EmbeddedStack,
    SeedOptions, SeededProject,
};
use stackport_migrate::{Endpoint, NoProgress, Progress};
use stackport_model::ProjectId;

pub use stackport_testkit::stack::Backend;
pub use stackport_testkit::{files_under, TempDir};

/// Two stacks with a seeded source project on eu-central and an empty project on us-east.
pub struct World {
    pub dir: TempDir,
    pub eu: EmbeddedStack,
    pub us: EmbeddedStack,
    pub source: SeededProject,
    pub dest_id: ProjectId,
    pub dest_token: String,
}

/// Small enough to be quick, big enough for several chunks when the chunk size is small.
pub const TEST_SCALE: f64 = 0.05;

/// The demo stacks' storage for `backend`: for PostgreSQL a fresh database of the test
/// process's cluster per stack.
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

impl World {
    /// The world with SQLite projects.
    pub async fn new(label: &str) -> World {
        World::on(label, Backend::Sqlite).await
    }

    /// The world with the projects of both stacks on `backend`.
    pub async fn on(label: &str, backend: Backend) -> World {
        let dir = TempDir::new(label);
        let (eu, us) =
            start_demo_stacks_on(&dir.path().join("stacks"), &demo_backend(backend).await)
                .await
                .unwrap();
        let source = seed_source_project(
            &eu,
            "Sales analytics",
            &SeedOptions {
                rows_scale: TEST_SCALE,
            },
        )
        .await
        .unwrap();
        let (dest_id, dest_token) = create_empty_project(&us, "Sales analytics (new)")
            .await
            .unwrap();
        World {
            dir,
            eu,
            us,
            source,
            dest_id,
            dest_token,
        }
    }

    pub fn source_endpoint(&self) -> Endpoint {
        Endpoint::new(&self.eu.url, &self.source.token)
    }

    pub fn dest_endpoint(&self) -> Endpoint {
        Endpoint::new(&self.us.url, &self.dest_token)
    }

    pub fn source_client(&self) -> Client {
        self.eu.storage_client(&self.source.token)
    }

    pub fn dest_client(&self) -> Client {
        self.us.storage_client(&self.dest_token)
    }

    pub fn work(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub async fn stop(self) {
        self.eu.stop().await.unwrap();
        self.us.stop().await.unwrap();
    }
}

pub fn quiet() -> Arc<dyn Progress> {
    Arc::new(NoProgress)
}
