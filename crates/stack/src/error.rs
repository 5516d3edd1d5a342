//! The stack's error: a kind the HTTP layer maps to a status, a stable code, and a message that
//! names the object and says what to do. Internal causes are kept for the log, never shown.

use std::fmt;

/// What kind of failure, which decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input (400).
    Invalid,
    /// No token, or a token that is not valid (401).
    Unauthorized,
    /// A valid token outside its rights (403).
    Forbidden,
    /// No such object, or one the caller may not know of (404).
    NotFound,
    /// The object exists already, or the request conflicts with its state (409).
    Conflict,
    /// Over a size limit (413).
    TooLarge,
    /// The client took too long: a request body stalled (408).
    Timeout,
    /// The stack is at a limit of what it serves at once; try again shortly (503).
    Unavailable,
    /// A feature of the reference platform the stack does not have (501): kbcstorage retries
    /// every other 5xx for minutes, but gives up on this one at once.
    NotImplemented,
    /// A fault inside the stack (500); the message shown is generic.
    Internal,
}

/// An error of a stack operation.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    code: &'static str,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// Result of stack operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a stable `code` and a message for the user.
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        Error {
            kind,
            code,
            message: message.into(),
            source: None,
        }
    }

    /// Bad input.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, code, message)
    }

    /// No such object.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    /// Exists already or conflicts.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    /// A feature the stack does not have; the message says what to do instead.
    pub fn not_implemented(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotImplemented, code, message)
    }

    /// Not allowed for this token.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, "accessDenied", message)
    }

    /// No valid token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, "invalidToken", message)
    }

    /// A fault inside the stack; `context` says what was being done, for the log.
    pub fn internal(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error {
            kind: ErrorKind::Internal,
            code: "internal",
            message: context.into(),
            source: Some(source.into()),
        }
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message for the user (for internal errors: the context, for the log only).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with where the error happened, keeping kind and code.
    pub fn context(mut self, prefix: impl fmt::Display) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::internal("database operation failed", e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        // A client that goes away mid-stream surfaces as an I/O error; it is not the stack's fault,
        // but the write is abandoned all the same.
        Error::internal("input/output failed", e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::internal("stored JSON could not be read", e)
    }
}

impl From<stackport_model::IdError> for Error {
    fn from(e: stackport_model::IdError) -> Self {
        Error::invalid("invalidId", e.to_string())
    }
}
