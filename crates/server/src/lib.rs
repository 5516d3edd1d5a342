//! The stack's HTTP API: a thin layer over [`stackport_stack::Stack`].
//!
//! Handlers parse the request into typed values, run one stack operation on the blocking pool
//! (SQLite and file I/O are blocking), and map the result. Rights are checked inside the stack,
//! not here, so no route can forget them.

mod api;
mod body;
mod error;
mod extract;
mod form;
mod listen;
mod openapi;
pub mod outbound_http;
mod params;
mod query;
mod routes;
mod unknown_field;
mod url_fetch;

use std::sync::Arc;
use std::time::Duration;

use stackport_stack::Stack;

pub use error::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    stack: Arc<Stack>,
    /// Bulk transfers running at once (`limits.maxTransfers`): each holds a blocking thread
    /// for as long as its client takes, and those threads are what every other request needs.
    transfers: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Serves `stack`.
    pub fn new(stack: Arc<Stack>) -> Self {
        let transfers = Arc::new(tokio::sync::Semaphore::new(
            stack.settings().limits.max_transfers,
        ));
        AppState { stack, transfers }
    }

    /// A place among the bulk transfers, waited for without holding a thread.
    pub(crate) async fn transfer_permit(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.transfers
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Runs `f` like [`AppState::run`], as one of the bulk transfers.
    pub(crate) async fn run_transfer<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Stack) -> stackport_stack::Result<T> + Send + 'static,
    {
        let _permit = self.transfer_permit().await;
        self.run(f).await
    }

    /// Runs `f` with the stack on the blocking pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Stack) -> stackport_stack::Result<T> + Send + 'static,
    {
        let stack = self.stack.clone();
        tokio::task::spawn_blocking(move || f(&stack))
            .await
            .map_err(|e| ApiError::from(stackport_stack::Error::internal("running a request", e)))?
            .map_err(ApiError::from)
    }
}

/// The whole API as a router.
pub fn router(state: AppState) -> axum::Router {
    routes::api().into_router(state)
}

/// Serves the API on `listener` until `shutdown` completes, runs queued jobs, and purges
/// expired files hourly.
pub async fn serve(
    listener: tokio::net::TcpListener,
    stack: Arc<Stack>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purger = {
        let stack = stack.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            loop {
                tick.tick().await;
                let stack = stack.clone();
                match tokio::task::spawn_blocking(move || stack.purge_expired_files()).await {
                    Ok(Ok(0)) => {}
                    Ok(Ok(n)) => tracing::info!(files = n, "purged expired files"),
                    Ok(Err(e)) => tracing::warn!(error = %e, "purging expired files failed"),
                    Err(e) => tracing::warn!(error = %e, "purging expired files failed"),
                }
            }
        })
    };
    // Storage jobs download `dataUrl` on this runtime.
    stack.install_url_fetch(Arc::new(url_fetch::HttpFetch::new(
        tokio::runtime::Handle::current(),
    )));
    let runner = stackport_stack::JobRunner::start(stack.clone(), stack.settings().jobs.workers);
    let limits = stack.settings().limits.clone();
    let app = router(AppState::new(stack));
    let result = listen::serve(
        listener,
        app,
        limits.max_connections,
        Duration::from_secs(limits.body_idle_timeout_seconds),
        shutdown,
    )
    .await;
    // Wait for the purger to go, so that the stack (and its database) is closed when this
    // returns: whoever opens the data dir next finds it settled.
    purger.abort();
    let _ = purger.await;
    // Running jobs are stopped and end as errors; waiting ones stay queued for the next start.
    let _ = tokio::task::spawn_blocking(move || runner.stop()).await;
    result
}
