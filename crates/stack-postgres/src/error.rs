//! The server's errors as the stack's (an orphan rule keeps this from being a `From`).

use stackport_stack::{Error, ErrorKind};

/// A failure of the server or the connection: an internal error whose source keeps the
/// server's message and SQLSTATE for the log.
pub(crate) fn pg(e: postgres::Error) -> Error {
    match e.as_db_error() {
        // The driver's own text for a server error is only "db error": keep the server's.
        Some(db) => Error::internal(
            "PostgreSQL operation failed",
            format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        ),
        // The session broke (the server restarted, the network went): the request may be
        // retried once the server is back, so it is unavailability, not the stack's fault.
        None if e.is_closed() || io_source(&e).is_some() => Error::new(
            ErrorKind::Unavailable,
            "storage.backend.unavailable",
            format!(
                "the connection to the PostgreSQL server broke: {}",
                chain(&e)
            ),
        ),
        None => Error::internal("PostgreSQL operation failed", e),
    }
}

fn io_source(e: &postgres::Error) -> Option<&std::io::Error> {
    std::error::Error::source(e).and_then(|s| s.downcast_ref::<std::io::Error>())
}

/// `e` with its sources, which the driver's own text leaves out ("error connecting to
/// server" without saying that the connection was refused).
pub(crate) fn chain(e: &postgres::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// An import's failure: a value the server cannot store (SQLSTATE class 22, such as a NUL
/// byte, which no PostgreSQL text holds, or a STRING longer than its length; or 23502, no value
/// for a typed column that is not nullable) is the data's fault and says so; anything else is
/// [`pg`].
pub(crate) fn import(e: postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) if db.code().code().starts_with("22") || db.code().code() == "23502" => {
            Error::invalid(
                "storage.import.invalidValue",
                format!("PostgreSQL cannot store a value: {}", db.message()),
            )
        }
        _ => pg(e),
    }
}
