//! Integration tests of the stack's HTTP API: a real server per test, on its own data dir,
//! reached over HTTP through the typed client.

mod helpers;

mod aliases;
mod async_tables;
mod auth;
mod blob;
mod branches;
mod buckets;
mod components;
mod configs;
mod csv_limits;
mod deep_json;
mod encryption;
mod errors;
mod event_create;
mod events;
mod files;
mod forms;
mod import_export;
mod job_orchestrations;
mod jobs;
mod limits;
mod metadata;
mod migration_support;
mod no_500;
mod oauth_ssh;
mod orchestrations;
mod projects;
mod provisioning;
mod queries;
mod query_docs;
mod quotas;
mod raw;
mod restart;
mod retries;
mod shapes;
mod slow_clients;
mod storage_jobs;
mod tables;
mod tokens;
mod triggers;
mod unknown_fields;
mod users;
mod workspace_credentials;
mod workspace_load;
