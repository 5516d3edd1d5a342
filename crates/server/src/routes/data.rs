//! Import and export: bodies streamed through the blocking pool, never held in memory.

use stackport_model::api::query::NoQuery;
use std::io::{self, Write};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use bytes::Bytes;
use stackport_model::api::query::{ExportQuery, ImportQuery};
use stackport_model::api::{ImportResult, TableFingerprint};
use stackport_model::TableId;
use stackport_stack::{ExportOptions, ExportStream, ImportOptions};
use tokio::sync::mpsc;

use crate::api::{Api, Content, Doc};
use crate::body::{spool, SpoolLimit};
use crate::error::ApiError;
use crate::extract::{Id, StorageAuth};
use crate::query::ApiQuery;
use crate::AppState;

pub fn routes(api: Api) -> Api {
    api.post(
        "/v2/storage/tables/{id}/import",
        import,
        Doc::storage("Import CSV (the body; gzip with Content-Encoding: gzip) into a table, in one transaction")
            .body(Content::Csv)
            .ok(Content::Json("ImportResult"))
            .query::<ImportQuery>(),
    )
    .get(
        "/v2/storage/tables/{id}/fingerprint",
        fingerprint,
        Doc::storage("Row count and an order-independent hash of all rows (without _timestamp)")
            .ok(Content::Json("TableFingerprint")),
    )
    .get(
        "/v2/storage/tables/{id}/export",
        export,
        Doc::storage("Export a table or alias as CSV, streamed")
            .ok(Content::Csv)
            .query::<ExportQuery>(),
    )
}

fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"))
        || headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.starts_with("application/gzip") || v.starts_with("application/x-gzip")
            })
}

async fn import(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportResult>, ApiError> {
    let mut options: ImportOptions = query;
    options.gzip |= is_gzip(&headers);
    // The whole body first: a slow client must not hold the project's writer while it sends.
    let limit = SpoolLimit {
        bytes: state.stack.settings().limits.max_import_bytes,
        setting: "limits.maxImportBytes",
        code: "storage.import.tooLarge",
    };
    let mut spooled = spool(&state, body, limit).await?;
    state
        .run_transfer(move |s| s.import_table(&auth, &id, &options, &mut spooled))
        .await
        .map(Json)
}

/// A blocking writer that sends 64 KiB blocks down a channel to the response body.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    runtime: tokio::runtime::Handle,
    /// How long a block may wait for the client to take it (`limits.bodyIdleTimeoutSeconds`):
    /// a client that stops reading must not keep this thread and the table's read forever.
    idle: std::time::Duration,
}

const BLOCK: usize = 64 * 1024;

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BLOCK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let block = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(BLOCK)));
        // Waits while the client is slower than the export: memory stays at a few blocks.
        let sent = self
            .runtime
            .block_on(tokio::time::timeout(self.idle, self.tx.send(Ok(block))));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the client stopped reading",
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client read nothing for {} s (limits.bodyIdleTimeoutSeconds)",
                    self.idle.as_secs()
                ),
            )),
        }
    }
}

async fn fingerprint(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    _: ApiQuery<NoQuery>,
) -> Result<Json<TableFingerprint>, ApiError> {
    state
        .run(move |s| s.table_fingerprint(&auth, &id))
        .await
        .map(Json)
}

async fn export(
    State(state): State<AppState>,
    StorageAuth(auth): StorageAuth,
    Id(id): Id<TableId>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let options = ExportOptions::from_query(&query)?;
    let stream = state
        .run(move |s| s.prepare_export(&auth, &id, &options))
        .await?;
    Ok(stream_export(&state, stream).await)
}

/// Streams a checked export as the response body (the synchronous export and the preview).
pub(crate) async fn stream_export(state: &AppState, stream: ExportStream) -> Response {
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(4);
    let gzip = stream.gzip();
    let stack = state.stack.clone();
    let permit = state.transfer_permit().await;
    let idle = std::time::Duration::from_secs(stack.settings().limits.body_idle_timeout_seconds);
    let runtime = tokio::runtime::Handle::current();
    // Set when the export fails: the body then ends with an error, so the client sees a broken
    // download rather than a short file, even when it never reads the blocks still queued.
    let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let failed_writer = failed.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut writer = ChannelWriter {
            tx,
            buf: Vec::with_capacity(BLOCK),
            runtime,
            idle,
        };
        let result = stream
            .write_to(&stack, &mut writer)
            .and_then(|_| writer.flush().map_err(Into::into));
        if let Err(e) = result {
            tracing::warn!(table = %stream.table(), error = %e, "export stopped");
            failed_writer.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| {
        match rx.poll_recv(cx) {
            std::task::Poll::Ready(None)
                if failed.swap(false, std::sync::atomic::Ordering::SeqCst) =>
            {
                std::task::Poll::Ready(Some(Err(io::Error::other("export failed"))))
            }
            other => other,
        }
    }));
    let content_type = if gzip {
        "application/gzip"
    } else {
        "text/csv; charset=utf-8"
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .expect("static headers are valid")
}
