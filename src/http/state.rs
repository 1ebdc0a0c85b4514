//! What every request handler shares.

use std::sync::{Arc, Mutex};

use lru::LruCache;
use sea_orm::DatabaseConnection;

use super::rate_limit::RateLimits;
use crate::graphql::persisted::PersistedQueries;
use crate::graphql::tabular::SchemaTypes;

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
    /// The persisted queries.
    pub persisted: Arc<PersistedQueries>,
    /// Documents registered by the persisted-query extension, by SHA-256 (when not
    /// trusted-only).
    pub registered: Arc<Mutex<LruCache<String, Arc<str>>>>,
    /// Refuse documents that are not persisted queries.
    pub trusted_only: bool,
    /// The schema's types, to lay answers out as tables.
    pub types: Arc<SchemaTypes>,
    /// Per-client rate limits.
    pub rate_limits: Arc<RateLimits>,
    /// The disclosure control of workforce figures, in words, for tables' metadata.
    pub disclosure_note: String,
    /// The key of the hash that replaces person references in submissions; without it
    /// submissions are refused.
    pub person_key: Option<crate::domain::workforce::PersonKey>,
    /// Largest file a submission may send, in bytes.
    pub submission_max_bytes: u64,
}
