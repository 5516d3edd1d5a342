//! The server's errors as the stack's (an orphan rule keeps this from being a `From`).

use stackport_stack::Error;

/// A failure of the server or the connection: an internal error whose source keeps the
/// server's message and SQLSTATE for the log.
pub(crate) fn pg(e: postgres::Error) -> Error {
    Error::internal("PostgreSQL operation failed", e)
}
