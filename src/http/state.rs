//! What every request handler shares.

use sea_orm::DatabaseConnection;

use crate::graphql::ApiSchema;
use crate::store::{Engine, Live};

/// What request handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: ApiSchema,
    /// Which engine the store runs on.
    pub engine: Engine,
    /// The data served from memory; its version is in every `ETag`.
    pub live: Live,
    /// How long a GET answer may be reused without revalidation.
    pub cache_max_age: std::time::Duration,
    /// Complete answers of the current data version.
    pub responses: std::sync::Arc<super::response_cache::ResponseCache>,
}
