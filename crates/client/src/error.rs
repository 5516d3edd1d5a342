use stackport_model::api::ErrorBody;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The stack answered with an error.
    #[error("{} (HTTP {status}, {})", body.error, body.code)]
    Api {
        /// The HTTP status.
        status: u16,
        /// The stack's error body.
        body: ErrorBody,
    },
    /// The stack could not be reached, or the connection broke.
    #[error("request to the stack failed: {0}")]
    Http(#[source] reqwest::Error),
    /// The answer was not what the API promises.
    #[error("the stack's answer could not be read: {0}")]
    Decode(String),
    /// Waiting for something on the stack took longer than allowed.
    #[error("{0}")]
    Timeout(String),
    /// A read-only client was asked to change something.
    #[error("refused {method} {path}: this client is read-only (the source of a migration is never changed)")]
    ReadOnly {
        /// The refused method.
        method: String,
        /// The refused path.
        path: String,
    },
}

impl ClientError {
    pub(crate) async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| ErrorBody {
            error: if text.is_empty() {
                "no error body".into()
            } else {
                text.chars().take(500).collect()
            },
            code: "unknown".into(),
            status,
            exception_id: None,
        });
        ClientError::Api { status, body }
    }

    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The stable code of an API error.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.code),
            _ => None,
        }
    }
}
