//! What every request handler shares.

use sea_orm::DatabaseConnection;

use crate::graphql::ApiSchema;
use crate::store::Engine;

/// What request handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub db: DatabaseConnection,
    /// The GraphQL schema.
    pub schema: ApiSchema,
    /// Which engine the store runs on.
    pub engine: Engine,
}
