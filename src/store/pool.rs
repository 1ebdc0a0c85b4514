//! The server's view of the store: the connection pool behind a gate that lets no more
//! statements run at once than the pool has connections.
//!
//! One GraphQL request resolves its fields concurrently, so a single request with thirty
//! aliased aggregates would otherwise take every connection and leave the rest of its own
//! statements (and every other request's) waiting on the pool, where a wait past
//! `DB_ACQUIRE_TIMEOUT_MS` means "the store is unavailable". Behind the gate, statements
//! queue here without a deadline of their own (the request's timeout still applies), and a
//! wait on the pool only ever means the store itself is slow to connect or down.
//!
//! It also carries the [`Live`] data, so a use case reaches the in-memory figures of the
//! current data version the same way it reaches the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};
use tokio::sync::Semaphore;

use super::live::{Data, Live};

/// The connection pool with its statement gate and the live data; cheap to clone (clones
/// share all three).
#[derive(Clone)]
pub struct Pool {
    db: DatabaseConnection,
    gate: Arc<Semaphore>,
    live: Live,
    statements: Arc<AtomicU64>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Gates `db` to at most `statements` statements at once (its pool size), beside `live`.
    pub fn new(db: DatabaseConnection, statements: u32, live: Live) -> Pool {
        let permits = usize::try_from(statements.max(1)).unwrap_or(1);
        Pool {
            db,
            gate: Arc::new(Semaphore::new(permits)),
            live,
            statements: Arc::default(),
        }
    }

    /// A counter of the statements run through this pool (by requests; not the server's own
    /// checks of the data version).
    pub fn statement_counter(&self) -> Arc<AtomicU64> {
        self.statements.clone()
    }

    /// The data of the current version, held in memory.
    pub fn data(&self) -> Arc<Data> {
        self.live.current()
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, DbErr> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        // The semaphore is never closed; a closed one would mean the pool is going away.
        self.gate
            .acquire()
            .await
            .map_err(|_| DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::ConnectionClosed))
    }
}

/// The connections of a connection pool at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open, idle or in use.
    pub open: u32,
    /// Open connections no statement is using.
    pub idle: usize,
}

/// The connections `db`'s pool holds now; nothing for a backend this store does not use.
pub fn pool_usage(db: &DatabaseConnection) -> PoolUsage {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            PoolUsage {
                open: pool.size(),
                idle: pool.num_idle(),
            }
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            PoolUsage {
                open: pool.size(),
                idle: pool.num_idle(),
            }
        }
        _ => PoolUsage::default(),
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Pool {
    fn get_database_backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let _permit = self.permit().await?;
        self.db.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let _permit = self.permit().await?;
        self.db.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let _permit = self.permit().await?;
        self.db.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let _permit = self.permit().await?;
        self.db.query_all_raw(stmt).await
    }
}
