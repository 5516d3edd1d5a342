//! Where a stack is and which token to use there.

use stackport_client::Client;

/// One side of a migration: a stack's URL and a Storage API token of the project.
#[derive(Clone)]
pub struct Endpoint {
    /// The stack's base URL.
    pub url: String,
    /// A Storage API token of the project (master token for the destination).
    pub token: String,
}

impl std::fmt::Debug for Endpoint {
    // The token never reaches a log or an error message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// A stack at `url` reached with `token`.
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> Self {
        Endpoint {
            url: url.into(),
            token: token.into(),
        }
    }

    /// A client that refuses any request that could change the stack: for the source.
    pub fn reader(&self) -> Client {
        Client::new(&self.url)
            .with_storage_token(self.token.clone())
            .read_only()
    }

    /// A client that may write: for the destination.
    pub fn writer(&self) -> Client {
        Client::new(&self.url).with_storage_token(self.token.clone())
    }
}
