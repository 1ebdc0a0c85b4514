//! The store's one error type, and which of its failures mean "unreachable".

use sea_orm::{DbErr, RuntimeErr};

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

impl StoreError {
    /// Whether the failure means the store cannot be reached right now (down, restarting,
    /// its connections cut, or every pooled connection busy past the wait allowed), as
    /// opposed to a statement that failed. Such failures pass when the store is back.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Open { .. } => true,
            StoreError::Corrupt(_) => false,
            StoreError::Db(DbErr::ConnectionAcquire(_)) => true,
            StoreError::Db(DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e)) => {
                unreachable_store(e)
            }
            StoreError::Db(_) => false,
        }
    }
}

fn unreachable_store(e: &RuntimeErr) -> bool {
    use sea_orm::sqlx::Error;
    let RuntimeErr::SqlxError(e) = e else {
        return false;
    };
    match e.as_ref() {
        // A conversation cut short (the connection closed mid-handshake or mid-answer) shows
        // as an I/O, TLS or protocol error, depending on where it was cut.
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        // SQLSTATE class 08 is "connection exception"; 57P01-57P03 are the server shutting
        // down, crashing or starting up.
        Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}
