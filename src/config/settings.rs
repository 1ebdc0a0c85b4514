//! The settings the server runs with, checked from the command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::disclosure::Policy;
use crate::domain::workforce::PersonKey;
use crate::store::PoolSettings;

use super::cli::{ConfigError, ServeArgs};
use super::limits::Limits;

/// Everything the server needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The store URL.
    pub database_url: String,
    /// The listening address.
    pub bind: SocketAddr,
    /// Query limits.
    pub limits: Limits,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Largest file a submission may send, in bytes.
    pub submission_max_bytes: u64,
    /// Longest a submission may take.
    pub submission_timeout: Duration,
    /// Longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most GraphQL requests served at once.
    pub max_concurrent_requests: usize,
    /// The server's connection pool.
    pub pool: PoolSettings,
    /// How long related look-ups are gathered into one statement.
    pub batch_window: Duration,
    /// How often the store's data version is checked.
    pub data_poll: Duration,
    /// How long a GET answer may be reused without revalidation.
    pub cache_max_age: Duration,
    /// Bytes of complete answers kept in memory.
    pub response_cache_bytes: usize,
    /// Disclosure control of workforce figures.
    pub disclosure: Policy,
    /// Load the synthetic demo workforce into a store with no staff records.
    pub demo_data: bool,
    /// Serve GraphiQL to browsers.
    pub graphiql: bool,
    /// Serve the reference explorer at `/`.
    pub explorer: bool,
    /// Serve the Prometheus metrics at `/metrics`.
    pub metrics: bool,
    /// The pseudonymisation key, when configured.
    pub person_key: Option<PersonKey>,
    /// The operator's persisted queries, beside the shipped ones.
    pub persisted_queries_dir: Option<PathBuf>,
    /// Refuse GraphQL documents that are not persisted queries.
    pub trusted_documents_only: bool,
    /// Per-client rate limits.
    pub rate_limits: RateLimitSettings,
}

/// Per-client rate limits.
#[derive(Debug, Clone, Default)]
pub struct RateLimitSettings {
    /// Requests a minute per client address; 0: no limit.
    pub per_minute: u32,
    /// Requests a minute per API key; 0: no limit.
    pub key_per_minute: u32,
    /// Known API keys, as `(name, secret)`.
    pub api_keys: Vec<(Arc<str>, String)>,
    /// Take the client's address from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
}

fn positive<T: PartialEq + Default>(name: &'static str, value: T) -> Result<T, ConfigError> {
    if value == T::default() {
        return Err(ConfigError {
            name,
            reason: "must be greater than 0".to_owned(),
        });
    }
    Ok(value)
}

fn seconds(name: &'static str, value: u64) -> Result<Duration, ConfigError> {
    if value == 0 {
        return Err(ConfigError {
            name,
            reason: "must be greater than 0".to_owned(),
        });
    }
    Ok(Duration::from_secs(value))
}

impl TryFrom<&ServeArgs> for Config {
    type Error = ConfigError;

    fn try_from(args: &ServeArgs) -> Result<Self, Self::Error> {
        Ok(Config {
            database_url: args.store.database_url()?,
            bind: args.bind,
            limits: Limits {
                max_depth: positive("MAX_QUERY_DEPTH", args.max_query_depth)?,
                max_complexity: positive("MAX_QUERY_COMPLEXITY", args.max_query_complexity)?,
                max_root_fields: positive("MAX_ROOT_FIELDS", args.max_root_fields)?,
                max_aliases: args.max_aliases,
                introspection: args.introspection,
                ..Limits::default()
            },
            max_body_bytes: positive("MAX_BODY_BYTES", args.max_body_bytes)?,
            request_timeout: seconds("REQUEST_TIMEOUT_SECS", args.request_timeout_secs)?,
            submission_max_bytes: positive("SUBMISSION_MAX_BYTES", args.submission_max_bytes)?,
            submission_timeout: seconds("SUBMISSION_TIMEOUT_SECS", args.submission_timeout_secs)?,
            header_read_timeout: seconds(
                "HEADER_READ_TIMEOUT_SECS",
                args.header_read_timeout_secs,
            )?,
            max_concurrent_requests: positive(
                "MAX_CONCURRENT_REQUESTS",
                args.max_concurrent_requests,
            )?,
            pool: PoolSettings {
                max_connections: u32::try_from(positive(
                    "DB_MAX_CONNECTIONS",
                    usize::try_from(args.db_max_connections).unwrap_or(usize::MAX),
                )?)
                .unwrap_or(u32::MAX),
                acquire_timeout: Duration::from_millis(positive(
                    "DB_ACQUIRE_TIMEOUT_MS",
                    usize::try_from(args.db_acquire_timeout_ms).unwrap_or(usize::MAX),
                )? as u64),
                statement_timeout: Some(seconds(
                    "REQUEST_TIMEOUT_SECS",
                    args.request_timeout_secs,
                )?),
            },
            batch_window: Duration::from_millis(args.batch_window_ms),
            data_poll: Duration::from_millis(positive(
                "DATA_POLL_MS",
                usize::try_from(args.data_poll_ms).unwrap_or(usize::MAX),
            )? as u64),
            cache_max_age: Duration::from_secs(args.cache_max_age_secs),
            response_cache_bytes: args.response_cache_mb.saturating_mul(1 << 20),
            disclosure: Policy {
                min_count: positive(
                    "DISCLOSURE_MIN_COUNT",
                    usize::try_from(args.disclosure_min_count).unwrap_or(usize::MAX),
                )? as u64,
                ptable: Arc::new(args.ptable.load()?),
            },
            demo_data: args.demo_data,
            graphiql: args.graphiql,
            explorer: args.explorer,
            metrics: args.metrics,
            person_key: match args.key.person_key {
                Some(_) => Some(args.key.key()?),
                None => None,
            },
            persisted_queries_dir: args.persisted_queries_dir.clone(),
            trusted_documents_only: args.trusted_documents_only,
            rate_limits: RateLimitSettings {
                per_minute: args.rate_limit_per_minute,
                key_per_minute: args.rate_limit_key_per_minute,
                api_keys: match &args.api_keys {
                    Some(keys) => keys.parse()?,
                    None => Vec::new(),
                },
                trust_forwarded_for: args.trust_forwarded_for,
            },
        })
    }
}

impl Config {
    /// The defaults, on the given store and address, without the demo workforce: what tests
    /// start the server with (a test that wants the demo data turns it on).
    pub fn new(database_url: impl Into<String>, bind: SocketAddr) -> Config {
        Config {
            database_url: database_url.into(),
            bind,
            limits: Limits::default(),
            max_body_bytes: 1_048_576,
            request_timeout: Duration::from_secs(30),
            submission_max_bytes: 536_870_912,
            submission_timeout: Duration::from_secs(600),
            header_read_timeout: Duration::from_secs(10),
            max_concurrent_requests: 64,
            pool: PoolSettings {
                max_connections: 10,
                acquire_timeout: Duration::from_millis(500),
                statement_timeout: Some(Duration::from_secs(30)),
            },
            batch_window: Duration::from_millis(10),
            data_poll: Duration::from_millis(250),
            cache_max_age: Duration::from_secs(60),
            response_cache_bytes: 64 << 20,
            disclosure: Policy::default(),
            demo_data: false,
            graphiql: true,
            explorer: true,
            metrics: true,
            person_key: None,
            persisted_queries_dir: None,
            trusted_documents_only: false,
            // Tests send many requests from one address; the limit's own tests set it.
            rate_limits: RateLimitSettings::default(),
        }
    }
}
