//! Storage: every sea-orm query lives here, in functions taking a connection.
//!
//! Functions take `&impl ConnectionTrait` so the same query runs on the pool or inside a
//! transaction, on SQLite and on PostgreSQL alike.

pub mod areas;
pub mod indicators;
pub mod programmes;
pub mod reference;
pub mod workforce;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// A stored value is not one the code can read (a row written by a newer version, say).
    #[error("stored value not understood: {0}")]
    Corrupt(String),
    /// The database URL cannot be used.
    #[error("cannot open the store at `{url}`: {reason}")]
    Open {
        /// The URL, with any password removed.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Which database engine a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Engine {
    /// The engine a database URL selects, if it is one the explorer supports.
    pub fn of_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

/// Any fixed number: the key of the PostgreSQL advisory lock taken by [`begin_setup`].
const SETUP_LOCK_KEY: i64 = 0x004d_5853_4554_5550;

/// Opens the setup transaction: takes the setup lock and applies pending migrations in it.
/// The caller adds its own work (a reference load) and commits.
///
/// On PostgreSQL the advisory lock is held until the transaction ends, so servers starting
/// together on one store take turns and the later ones find the work done. On SQLite the
/// transaction holds the file's write lock from its first statement (see [`begin_write`]),
/// which serves the same purpose.
pub async fn begin_setup(db: &DatabaseConnection) -> Result<DatabaseTransaction, StoreError> {
    let txn = begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({SETUP_LOCK_KEY})"))
            .await?;
    }
    Migrator::up(&txn, None).await?;
    Ok(txn)
}

/// How long a SQLite statement waits for another connection's lock before failing with
/// `database is locked`. A replica starting beside another waits for that one's whole setup
/// (migrations, reference data, the demo workforce), which takes seconds on a busy machine.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Begins a transaction that writes (every import and the setup use it).
///
/// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at the start, waiting up to
/// [`SQLITE_BUSY_TIMEOUT`] for another writer to finish. A plain (deferred) transaction that
/// reads before it writes cannot wait: SQLite refuses its upgrade from a read lock to a write
/// lock at once with `database is locked`, since waiting there could deadlock two such
/// transactions. Inside another transaction it is a savepoint, and on PostgreSQL a plain
/// `BEGIN`.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// The URL with any password replaced, fit for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Opens a connection pool, creating the SQLite file's directory when it is missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    let open_error = |reason: String| StoreError::Open {
        url: redact_url(url),
        reason,
    };
    match Engine::of_url(url) {
        Some(Engine::Sqlite) => {
            if let Some(dir) = sqlite_file_dir(url) {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    open_error(format!("cannot create directory `{}`: {e}", dir.display()))
                })?;
            }
        }
        Some(Engine::Postgres) => {}
        None => {
            return Err(open_error(
                "expected a `sqlite:` or `postgres://` URL".to_owned(),
            ));
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // Statements are logged by the metric callback at debug level, not by sqlx at info.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|options| options.busy_timeout(SQLITE_BUSY_TIMEOUT));
    Database::connect(options)
        .await
        .map_err(|e| open_error(e.to_string()))
}

/// The directory of a SQLite database file, for `sqlite://dir/file.db?mode=rwc` style URLs.
fn sqlite_file_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?;
    (!parent.as_os_str().is_empty()).then(|| parent.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sqlite_directory_is_found_in_relative_and_absolute_urls() {
        assert_eq!(
            sqlite_file_dir("sqlite://data/explorer.db?mode=rwc"),
            Some("data".into())
        );
        assert_eq!(
            sqlite_file_dir("sqlite:///tmp/x/e.db"),
            Some("/tmp/x".into())
        );
        assert_eq!(sqlite_file_dir("sqlite://explorer.db"), None);
        assert_eq!(sqlite_file_dir("sqlite::memory:"), None);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }

    #[test]
    fn the_engine_follows_the_url_scheme() {
        assert_eq!(Engine::of_url("sqlite://a.db"), Some(Engine::Sqlite));
        assert_eq!(Engine::of_url("postgresql://h/d"), Some(Engine::Postgres));
        assert_eq!(Engine::of_url("mysql://h/d"), None);
    }
}
