//! Use cases between the GraphQL layer and the domain and store: what a question means,
//! checked and answered from the store through the domain's rules. Nothing here knows
//! GraphQL or HTTP; resolvers translate these answers into the schema's types.

pub mod index;

use crate::store::StoreError;

/// Why a use case could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The question is not valid; the message names the argument and says why.
    #[error("{0}")]
    Invalid(String),
    /// Something the question names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of a use case.
pub type ServiceResult<T> = Result<T, ServiceError>;
