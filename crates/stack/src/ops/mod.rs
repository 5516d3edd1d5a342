//! The rules of each operation, one module per resource. Each `impl Stack` block adds the
//! operations on one resource.

pub mod auth;
pub mod branches;
pub mod buckets;
pub mod components;
pub mod configs;
pub mod encryption;
pub mod events;
pub mod export;
pub mod files;
pub mod fingerprint;
mod grant;
pub mod import;
pub mod metadata;
pub mod oauth;
pub mod orchestrations;
pub mod projects;
pub mod provisioning;
pub mod ssh;
mod sweep;
pub mod tables;
pub mod tokens;
pub mod triggers;
pub mod typing;
pub mod users;

pub(crate) use stackport_model::time::from_micros as time;
