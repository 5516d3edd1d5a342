//! A demo world for stackport: two stacks served in-process and a realistic project to move
//! between them.
//!
//! `stackport demo` and the end-to-end migration tests both start here, so what the demo shows
//! is what the tests prove. The seed talks to the stack only through [`stackport_client`], as a
//! user's scripts would; only starting a stack reaches into `stackport-stack` directly.

mod backend;
mod data;
mod pg_databases;
mod registry;
mod seed;
mod seed_access;
mod seed_configs;
mod seed_files;
mod seed_jobs;
mod seed_orchestrations;
mod seed_provisioned;
mod seed_tables;
mod stacks;

pub use backend::DemoBackend;
pub use pg_databases::{demo_databases, EU_CENTRAL_DATABASE, US_EAST_DATABASE};
pub use registry::{DROPPED_ON_US_EAST, ONLY_ON_US_EAST};
pub use seed::{
    create_empty_project, seed_source_project, SeedOptions, SeedSummary, SeededProject,
};
pub use seed_configs::{SEED_COMPONENTS, SEED_PLAINTEXT_SECRETS};
pub use stacks::{
    eu_central_settings, start_demo_stacks, start_demo_stacks_on, us_east_settings, EmbeddedStack,
    EU_CENTRAL_MANAGE_TOKEN, US_EAST_MANAGE_TOKEN,
};
