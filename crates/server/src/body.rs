//! Request bodies: read with an idle timeout, and spooled to disk before any work that holds
//! something other requests need.
//!
//! A client may send headers and then a byte a minute. Whatever reads its body waits as long as
//! it likes, so nothing shared (the project's writer, a thread of the blocking pool) may be held
//! while a body is still arriving: bodies of bulk requests are spooled to an unlinked file on the
//! async side first, and every body gives up after `limits.bodyIdleTimeoutSeconds` without a byte.

use std::io::{Seek, SeekFrom};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use stackport_stack::{Error, ErrorKind};
use tokio::io::AsyncWriteExt;

use crate::error::ApiError;
use crate::AppState;

/// A body went `limit` without a byte arriving.
#[derive(Debug)]
struct BodyIdle(Duration);

impl std::fmt::Display for BodyIdle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no data arrived for {} s", self.0.as_secs())
    }
}

impl std::error::Error for BodyIdle {}

/// Middleware: every request body fails once it goes `limits.bodyIdleTimeoutSeconds` without a
/// byte, so a stalled client never keeps its request, or what the request holds, alive.
pub async fn idle_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limit = Duration::from_secs(state.stack.settings().limits.body_idle_timeout_seconds);
    let chunks =
        futures_util::stream::unfold(Some(body.into_data_stream()), move |stream| async move {
            let mut stream = stream?;
            match tokio::time::timeout(limit, stream.next()).await {
                Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(stream))),
                Ok(Some(Err(e))) => Some((Err(axum::BoxError::from(e)), None)),
                Ok(None) => None,
                Err(_) => Some((Err(axum::BoxError::from(BodyIdle(limit))), None)),
            }
        });
    next.run(Request::from_parts(parts, Body::from_stream(chunks)))
        .await
}

/// The error answered for a body that could not be read: 408 for a stalled one (naming the
/// limit), 413 for one over a size limit, 400 for one that broke off.
pub fn body_error(e: &(dyn std::error::Error + 'static)) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(idle) = c.downcast_ref::<BodyIdle>() {
            return Error::new(
                ErrorKind::Timeout,
                "request.bodyTimeout",
                format!(
                    "the request body stalled: {idle}; this stack waits at most limits.bodyIdleTimeoutSeconds = {} s \
                     between bytes; send the body without pauses",
                    idle.0.as_secs()
                ),
            )
            .into();
        }
        if c.downcast_ref::<http_body_util::LengthLimitError>()
            .is_some()
        {
            return Error::new(
                ErrorKind::TooLarge,
                "request.bodyTooLarge",
                format!(
                    "the request body is over this endpoint's limit of {JSON_BODY_LIMIT} bytes"
                ),
            )
            .into();
        }
        cause = c.source();
    }
    ApiError::bad_request(
        "request.bodyBroken",
        format!("the request body could not be read: {e}"),
    )
}

/// The most bytes a body read into memory (JSON, text) may have: configurations and states may
/// each be 4 MB, plus JSON escaping.
pub const JSON_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// A whole body in memory, at most [`JSON_BODY_LIMIT`] bytes.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        axum::body::to_bytes(req.into_body(), JSON_BODY_LIMIT)
            .await
            .map(RawBody)
            .map_err(|e| body_error(&e))
    }
}

/// A size limit of a spooled body: the bytes, the setting that changes them and the error
/// code of the endpoint.
pub struct SpoolLimit {
    pub bytes: u64,
    pub setting: &'static str,
    pub code: &'static str,
}

/// Reads `body` into an unlinked file of the stack's spool, at most `limit.bytes` bytes, and
/// hands it back rewound. Runs on the async side: a slow
/// client costs a connection and a little memory, nothing another request waits for.
pub async fn spool(
    state: &AppState,
    body: Body,
    limit: SpoolLimit,
) -> Result<std::fs::File, ApiError> {
    let file = state.run(|s| s.spool_file()).await?;
    let mut file =
        tokio::io::BufWriter::with_capacity(1024 * 1024, tokio::fs::File::from_std(file));
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    let io = |e: std::io::Error| ApiError::from(Error::internal("spooling a request body", e));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| body_error(&e))?;
        total += chunk.len() as u64;
        if total > limit.bytes {
            return Err(Error::new(
                ErrorKind::TooLarge,
                limit.code,
                format!(
                    "the request body is over this stack's limit of {} bytes ({}); split the data; nothing was stored",
                    limit.bytes, limit.setting
                ),
            )
            .into());
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    let mut file = file.into_inner().into_std().await;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(file)
}
