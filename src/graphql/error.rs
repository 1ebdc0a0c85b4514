//! The GraphQL layer's error type: each variant maps to an `extensions.code` clients can act on.

use async_graphql::ErrorExtensions as _;

use crate::store::StoreError;

/// An error a resolver returns to the client.
///
/// It deliberately has no `Display`: async-graphql converts any `Display` type into an error
/// without extensions, so the only way out of a resolver is [`From<ApiError>`] below, which
/// always sets `extensions.code`.
#[derive(Debug)]
pub enum ApiError {
    /// The request's arguments are invalid; the message says which and why.
    BadUserInput(String),
    /// The named thing does not exist.
    NotFound(String),
    /// Something failed inside the server. Logged in full; the client sees an opaque message.
    Internal(String),
}

impl ApiError {
    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// The message the client sees.
    pub fn message(&self) -> &str {
        match self {
            ApiError::BadUserInput(m) | ApiError::NotFound(m) => m,
            ApiError::Internal(_) => "internal error",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<std::sync::Arc<StoreError>> for ApiError {
    fn from(e: std::sync::Arc<StoreError>) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        if let ApiError::Internal(source) = &e {
            // Logged once, here; the message sent to the client carries no SQL or paths.
            tracing::error!(error = %source, "internal error while resolving a query");
        }
        async_graphql::Error::new(e.message()).extend_with(|_, ext| ext.set("code", e.code()))
    }
}

/// The result type of resolvers.
pub type ApiResult<T> = Result<T, async_graphql::Error>;
