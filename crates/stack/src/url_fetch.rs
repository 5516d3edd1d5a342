//! The seam through which a storage job reads a `dataUrl`. The stack's rules stay free of HTTP
//! clients and async runtimes: whoever opens the stack for serving installs a [`UrlFetch`]
//! ([`crate::Stack::install_url_fetch`]); a stack without one answers 501 to `dataUrl`.

use std::io::Read;

use crate::error::Result;
use crate::jobs::outbound::AllowList;

/// Reads the body of an `http://` or `https://` address, connecting only to addresses `allow`
/// lets through (checked on the resolved address, every redirect hop included).
pub trait UrlFetch: Send + Sync {
    /// What can be known before any job is made: the URL's syntax and scheme, and that its
    /// host resolves to an address `allow` lets through. `Err` is a 4xx naming `dataUrl`.
    fn check(&self, url: &str, allow: &AllowList) -> Result<()>;

    /// The body of a successful answer, following redirects to allowed addresses; read as a
    /// stream (never whole in memory). A refusal, a remote error status or a timeout is an
    /// `Err` whose message says which; so is a body that breaks while read (an I/O error).
    fn open(&self, url: &str, allow: &AllowList) -> Result<Box<dyn Read + Send>>;
}
