use serde::{Deserialize, Serialize};

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What is wrong, naming the object, and what to do about it.
    pub error: String,
    /// A stable machine-readable code such as `storage.tables.notFound`.
    pub code: String,
    /// The HTTP status, repeated for clients that only keep the body.
    pub status: u16,
    /// For server errors: the id under which the server logged the cause.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "exceptionId"
    )]
    pub exception_id: Option<String>,
}
