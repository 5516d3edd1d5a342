//! Get Blob (whole, or the range of `x-ms-range`/`Range`) and Get Blob Properties (`HEAD`).

use std::io::Read;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use stackport_model::api::FileInfo;
use stackport_stack::Error;

use super::errors::BlobError;
use super::{grant, query_pairs, request_id, API_VERSION};
use crate::routes::files::read_blocks;
use crate::AppState;

/// A file's `ETag`: its digest's start, in Azure's `"0x..."` form.
pub(super) fn etag(file: &FileInfo) -> String {
    format!(
        "\"0x{}\"",
        file.sha256.get(..16).unwrap_or(&file.sha256).to_uppercase()
    )
}

/// A file's `Last-Modified` (its bytes are written once, when it is uploaded).
pub(super) fn http_date(file: &FileInfo) -> String {
    file.created.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn invalid_range(raw: &str, size: u64) -> BlobError {
    BlobError(Error::invalid(
        "InvalidRange",
        format!("The range specified is invalid for the current size of the resource: '{raw}' of a blob of {size} bytes"),
    ))
}

/// `bytes=a-b` or `bytes=a-`: the first byte and the last (inclusive, if given).
fn parse_range(raw: &str) -> Option<(u64, Option<u64>)> {
    let (a, b) = raw.trim().strip_prefix("bytes=")?.split_once('-')?;
    let start = a.trim().parse().ok()?;
    let end = match b.trim() {
        "" => None,
        b => Some(b.parse().ok()?),
    };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    Some((start, end))
}

pub(super) async fn get(
    State(state): State<AppState>,
    Path((container, blob)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, BlobError> {
    let pairs = query_pairs(&uri)?;
    let grant = grant(&state, &pairs)?;
    // x-ms-range wins over Range, as in Azure.
    let raw_range = headers
        .get("x-ms-range")
        .or_else(|| headers.get(axum::http::header::RANGE))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let range = match &raw_range {
        Some(raw) => Some(parse_range(raw).ok_or_else(|| invalid_range(raw, 0))?),
        None => None,
    };
    let head = method == Method::HEAD;
    let offset = if head { 0 } else { range.map_or(0, |r| r.0) };
    let (file, opened) = state
        .run(move |s| s.open_blob(&grant, &container, &blob, offset))
        .await?;
    // The blob's: the file, or one part or the manifest of a sliced file.
    let size = opened.size;
    let mut b = Response::builder()
        .header("content-type", "application/octet-stream")
        .header("etag", etag(&file))
        .header("last-modified", http_date(&file))
        .header("x-ms-creation-time", http_date(&file))
        .header("x-ms-blob-type", "BlockBlob")
        .header("x-ms-lease-state", "available")
        .header("x-ms-lease-status", "unlocked")
        .header("x-ms-server-encrypted", "false")
        .header("accept-ranges", "bytes")
        .header("x-ms-request-id", request_id())
        .header("x-ms-version", API_VERSION);
    if head {
        return Ok(b
            .status(StatusCode::OK)
            .header("content-length", size)
            .body(Body::empty())
            .expect("headers are valid"));
    }
    let Some((start, end)) = range else {
        return Ok(b
            .status(StatusCode::OK)
            .header("content-length", size)
            .body(Body::from_stream(read_blocks(opened.reader)))
            .expect("headers are valid"));
    };
    if start >= size {
        return Err(invalid_range(raw_range.as_deref().unwrap_or(""), size));
    }
    let last = end.map_or(size - 1, |e| e.min(size - 1));
    let len = last - start + 1;
    b = b
        .status(StatusCode::PARTIAL_CONTENT)
        .header("content-length", len)
        .header("content-range", format!("bytes {start}-{last}/{size}"));
    let reader: Box<dyn Read + Send> = Box::new(opened.reader.take(len));
    Ok(b.body(Body::from_stream(read_blocks(reader)))
        .expect("headers are valid"))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn reads_byte_ranges() {
        assert_eq!(parse_range("bytes=0-33554431"), Some((0, Some(33_554_431))));
        assert_eq!(parse_range("bytes=5-"), Some((5, None)));
        for bad in ["bytes=5-4", "bytes=-5", "items=0-1", "bytes=a-b", "0-1"] {
            assert_eq!(parse_range(bad), None, "{bad}");
        }
    }
}
