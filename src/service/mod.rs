//! Use cases between the GraphQL layer and the domain and store: what a question means,
//! checked and answered from the store through the domain's rules. Nothing here knows
//! GraphQL or HTTP; resolvers translate these answers into the schema's types.

pub mod access;
pub mod geography;
pub mod index;
pub mod indicators;
pub mod programmes;
pub mod releases;
pub mod workforce;

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
    /// The question needs a key and none was given.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller's key may not ask it.
    #[error("{0}")]
    Forbidden(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The result of a use case.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// The longest piece of a client's input quoted back in a message, in characters.
const MAX_QUOTE_CHARS: usize = 100;

/// `input` as quoted back to its sender: cut after [`MAX_QUOTE_CHARS`] characters.
pub fn quote(input: &str) -> String {
    match input.char_indices().nth(MAX_QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_cut_at_a_character_boundary() {
        assert_eq!(quote("E09000001"), "E09000001");
        let long = "é".repeat(150);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), MAX_QUOTE_CHARS + 1);
        assert!(quoted.ends_with('…'));
    }
}
