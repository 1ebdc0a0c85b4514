//! The GraphQL layer's error type: each variant maps to an `extensions.code` clients can act on.

use async_graphql::ErrorExtensions as _;

use crate::service::ServiceError;
pub use crate::service::quote;
use crate::store::StoreError;

/// An error a resolver returns to the client.
///
/// It deliberately has no `Display`: async-graphql converts any `Display` type into an error
/// without extensions, so the only way out of a resolver is [`From<ApiError>`] below, which
/// always sets `extensions.code`.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The request's arguments are invalid; the message says which and why.
    BadUserInput(String),
    /// The named thing does not exist.
    NotFound(String),
    /// The answer would be longer than the field's documented maximum; the message names
    /// the field and how to ask for less.
    ResultTooLarge(String),
    /// The field needs a key and the request sent none.
    Unauthenticated(String),
    /// The request's key may not read the field.
    Forbidden(String),
    /// The store cannot be reached (down, or every connection busy past the wait allowed).
    /// Logged; the client sees an opaque message and HTTP 503, and may retry.
    Unavailable(String),
    /// Something failed inside the server. Logged in full; the client sees an opaque message.
    Internal(String),
}

impl ApiError {
    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::ResultTooLarge(_) => "RESULT_TOO_LARGE",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Unavailable(_) => UNAVAILABLE,
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// The message the client sees.
    pub fn message(&self) -> &str {
        match self {
            ApiError::BadUserInput(m)
            | ApiError::NotFound(m)
            | ApiError::ResultTooLarge(m)
            | ApiError::Unauthenticated(m)
            | ApiError::Forbidden(m) => m,
            ApiError::Unavailable(_) => "the data store is unavailable; try again shortly",
            ApiError::Internal(_) => "internal error",
        }
    }
}

/// The code of errors that mean "the store is unreachable": the HTTP layer answers 503.
pub const UNAVAILABLE: &str = "UNAVAILABLE";

impl From<&StoreError> for ApiError {
    fn from(e: &StoreError) -> Self {
        if e.is_unavailable() {
            ApiError::Unavailable(e.to_string())
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::from(&e)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => ApiError::BadUserInput(m),
            ServiceError::NotFound(m) => ApiError::NotFound(m),
            ServiceError::Unauthenticated(m) => ApiError::Unauthenticated(m),
            ServiceError::Forbidden(m) => ApiError::Forbidden(m),
            ServiceError::Store(e) => ApiError::from(&e),
        }
    }
}

impl From<std::sync::Arc<StoreError>> for ApiError {
    fn from(e: std::sync::Arc<StoreError>) -> Self {
        ApiError::from(e.as_ref())
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        match &e {
            // Logged once, here; the message sent to the client carries no SQL or paths.
            ApiError::Internal(source) => {
                tracing::error!(error = %source, "internal error while resolving a query");
            }
            ApiError::Unavailable(source) => {
                tracing::warn!(error = %source, "store unavailable while resolving a query");
            }
            ApiError::BadUserInput(_)
            | ApiError::NotFound(_)
            | ApiError::ResultTooLarge(_)
            | ApiError::Unauthenticated(_)
            | ApiError::Forbidden(_) => {}
        }
        async_graphql::Error::new(e.message()).extend_with(|_, ext| ext.set("code", e.code()))
    }
}

/// The result type of resolvers: only an [`ApiError`] can leave one, so no store or internal
/// message reaches a client by a forgotten conversion (`?` on a store error goes through
/// [`From<StoreError>`], which hides its text).
pub type ApiResult<T> = Result<T, ApiError>;
