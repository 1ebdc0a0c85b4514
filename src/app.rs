//! The application: store, schema and router put together. `main` and the tests both start
//! the server through [`App::build`], so the tests exercise what users run.

use std::future::Future;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::graphql::build_schema;
use crate::graphql::persisted::{PersistedError, PersistedQueries};
use crate::graphql::tabular::{SchemaTypes, TabularError};
use crate::http::AppState;
use crate::http::rate_limit::RateLimits;
use crate::http::response_cache::ResponseCache;
use crate::import::{self, ImportError};
use crate::store::{self, Engine, Live, StoreError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bundled reference data or the demo workforce could not be loaded.
    #[error("loading data: {0}")]
    Import(#[from] ImportError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The schema could not be read, or a persisted query does not fit it.
    #[error(transparent)]
    Persisted(#[from] PersistedError),
    /// The schema's SDL could not be read back.
    #[error(transparent)]
    Tabular(#[from] TabularError),
    /// The server failed while running.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Documents the persisted-query extension may register, at most (each at most 16 KB).
const REGISTERED_DOCUMENTS: NonZeroUsize = NonZeroUsize::new(1_000).expect("not zero");

/// A built server, bound and ready to run.
pub struct App {
    listener: TcpListener,
    state: AppState,
    config: Config,
    statements: Arc<AtomicU64>,
}

/// Keeps `live` at the store's data version: checks every `every`, until dropped with the
/// server. A failed check (the store away) keeps the data held and is logged once.
async fn follow_data_version(live: Live, db: DatabaseConnection, every: std::time::Duration) {
    let mut failing = false;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match live.refresh(&db).await {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot check the data version; serving the data held");
            }
            Err(_) => {}
        }
    }
}

impl App {
    /// Opens and migrates the store, loads the reference data into an empty store, builds the
    /// schema and binds the address (port 0 picks a free one).
    pub async fn build(config: Config) -> Result<App, AppError> {
        let mut db = store::connect_with(&config.database_url, config.pool).await?;
        db.set_metric_callback(move |info| {
            tracing::trace!(
                elapsed_ms = info.elapsed.as_millis() as u64,
                failed = info.failed,
                "sql statement"
            );
        });
        // Migrate and seed in one transaction under the setup lock, so replicas starting
        // together on PostgreSQL neither race on migrations nor load the reference data twice.
        let txn = store::begin_setup(&db).await?;
        let loaded = import::reference::load_if_stale(&txn).await?;
        let demo = if config.demo_data {
            import::demo::load_if_missing(&txn, config.person_key.as_ref()).await?
        } else {
            import::demo::Loaded::default()
        };
        // Snapshots imported before the pre-aggregated cells existed get theirs, once.
        let built = store::workforce::cells::build_missing(&txn).await?;
        if built > 0 {
            store::version::bump(&txn).await?;
        }
        txn.commit().await.map_err(StoreError::from)?;
        if built > 0 {
            tracing::info!(
                snapshots = built,
                "built the workforce cells of older snapshots"
            );
        }
        if let Some(summary) = loaded {
            tracing::info!(
                areas = summary.areas.values().sum::<usize>(),
                reference_shares = summary.reference_shares,
                "loaded reference data into the store"
            );
        }
        demo.log();
        let live = Live::default();
        live.refresh(&db).await?;
        let engine = Engine::of_url(&config.database_url).unwrap_or(Engine::Sqlite);
        let pool = store::Pool::new(db.clone(), config.pool.max_connections, live.clone());
        let statements = pool.statement_counter();
        let schema = build_schema(
            pool,
            config.limits,
            config.batch_window,
            config.disclosure.clone(),
        );
        let types = SchemaTypes::from_sdl(&schema.sdl())?;
        let persisted = PersistedQueries::load(&types, config.persisted_queries_dir.as_deref())?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| AppError::Bind {
                addr: config.bind,
                source,
            })?;
        Ok(App {
            listener,
            state: AppState {
                db,
                schema,
                engine,
                live,
                cache_max_age: config.cache_max_age,
                responses: Arc::new(ResponseCache::new(config.response_cache_bytes)),
                persisted: Arc::new(persisted),
                registered: Arc::new(Mutex::new(LruCache::new(REGISTERED_DOCUMENTS))),
                trusted_only: config.trusted_documents_only,
                types: Arc::new(types),
                rate_limits: Arc::new(RateLimits::new(&config.rate_limits)),
                disclosure_note: config.disclosure.describe(),
                person_key: config.person_key.clone(),
                submission_max_bytes: config.submission_max_bytes,
            },
            config,
            statements,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> Result<SocketAddr, AppError> {
        self.listener.local_addr().map_err(AppError::Serve)
    }

    /// The store, for tests and commands that need it beside the server.
    pub fn db(&self) -> &DatabaseConnection {
        &self.state.db
    }

    /// The data the server answers from, for tests that change the store beside it and
    /// want it served at once rather than at the next poll.
    pub fn live(&self) -> Live {
        self.state.live.clone()
    }

    /// A counter of the SQL statements requests have run on the store since start.
    pub fn statement_counter(&self) -> Arc<AtomicU64> {
        self.statements.clone()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AppError> {
        let follower = tokio::spawn(follow_data_version(
            self.state.live.clone(),
            self.state.db.clone(),
            self.config.data_poll,
        ));
        let limits = self.state.rate_limits.clone();
        let forgetter = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                ticks.tick().await;
                limits.forget_idle();
            }
        });
        let router = crate::http::router(self.state, &self.config);
        crate::http::serve(self.listener, router, &self.config, shutdown).await;
        follower.abort();
        forgetter.abort();
        Ok(())
    }
}
