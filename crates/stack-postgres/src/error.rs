//! The server's errors as the stack's (an orphan rule keeps this from being a `From`).

use stackport_stack::Error;

/// A failure of the server or the connection: an internal error whose source keeps the
/// server's message and SQLSTATE for the log.
pub(crate) fn pg(e: postgres::Error) -> Error {
    match e.as_db_error() {
        // The driver's own text for a server error is only "db error": keep the server's.
        Some(db) => Error::internal(
            "PostgreSQL operation failed",
            format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        ),
        None => Error::internal("PostgreSQL operation failed", e),
    }
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
