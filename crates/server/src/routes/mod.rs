//! Routes, one module per resource; each adds its routes to the table.

mod async_tables;
mod blob;
mod branches;
mod buckets;
mod components;
mod configs;
mod data;
mod encryption;
mod events;
mod files;
mod jobs;
mod manage;
mod metadata;
mod oauth_ssh;
mod orchestrations;
mod provisioning;
mod storage_jobs;
mod tables;
mod tokens;
mod triggers;
mod unsupported;
mod users;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::api::Api;

/// Every route of the API.
pub fn api() -> Api {
    let api = Api::new();
    let api = manage::routes(api);
    let api = tokens::routes(api);
    let api = buckets::routes(api);
    let api = tables::routes(api);
    let api = data::routes(api);
    let api = async_tables::routes(api);
    let api = storage_jobs::routes(api);
    let api = metadata::routes(api);
    let api = files::routes(api);
    let api = blob::routes(api);
    let api = components::routes(api);
    let api = configs::routes(api);
    let api = encryption::routes(api);
    let api = oauth_ssh::routes(api);
    let api = orchestrations::routes(api);
    let api = triggers::routes(api);
    let api = jobs::routes(api);
    let api = users::routes(api);
    let api = provisioning::routes(api);
    let api = branches::routes(api);
    let api = unsupported::routes(api);
    events::routes(api)
}

/// Logs each request's method, path, status and time; never headers (they carry tokens).
pub async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
