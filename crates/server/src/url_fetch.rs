//! The stack's [`UrlFetch`] over [`crate::outbound_http`]: the storage job workers are plain
//! threads, so each call blocks on the server's runtime, and the body is read chunk by chunk as
//! the job copies it into a Storage file.

use std::io::Read;

use bytes::Bytes;
use reqwest::Url;
use stackport_stack::jobs::outbound::AllowList;
use stackport_stack::url_fetch::UrlFetch;
use stackport_stack::{Error, Result};
use tokio::runtime::Handle;

use crate::outbound_http::{describe, get, pinned_client, OutboundError};

/// Downloads on the runtime of `handle` (the server's own).
pub struct HttpFetch {
    runtime: Handle,
}

impl HttpFetch {
    pub fn new(runtime: Handle) -> HttpFetch {
        HttpFetch { runtime }
    }
}

fn parse(url: &str) -> Result<Url> {
    let parsed: Url = url.parse().map_err(|e| {
        Error::invalid(
            "storage.jobs.invalidDataUrl",
            format!("dataUrl is not a URL ({e}): give an http:// or https:// address"),
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::invalid(
            "storage.jobs.invalidDataUrl",
            format!(
                "dataUrl has the scheme '{}': only http:// and https:// addresses are downloaded",
                parsed.scheme()
            ),
        ));
    }
    Ok(parsed)
}

fn job_error(e: OutboundError) -> Error {
    match e {
        OutboundError::Refused(m) => {
            Error::invalid("storage.jobs.dataUrlRefused", format!("dataUrl: {m}"))
        }
        OutboundError::Failed(m) => {
            Error::invalid("storage.jobs.dataUrlFetchFailed", format!("dataUrl: {m}"))
        }
    }
}

impl UrlFetch for HttpFetch {
    fn check(&self, url: &str, allow: &AllowList) -> Result<()> {
        let parsed = parse(url)?;
        self.runtime
            .block_on(pinned_client(&parsed, allow))
            .map(drop)
            .map_err(job_error)
    }

    fn open(&self, url: &str, allow: &AllowList) -> Result<Box<dyn Read + Send>> {
        let parsed = parse(url)?;
        let response = self
            .runtime
            .block_on(get(&parsed, None, allow, &mut |_, _| {}))
            .map_err(job_error)?;
        Ok(Box::new(Body {
            runtime: self.runtime.clone(),
            response,
            pending: Bytes::new(),
        }))
    }
}

/// A response's body as a [`Read`]: one chunk held at a time.
struct Body {
    runtime: Handle,
    response: reqwest::Response,
    pending: Bytes,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            match self.runtime.block_on(self.response.chunk()) {
                Ok(Some(chunk)) => self.pending = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::other(describe(e))),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}
