//! A PostgreSQL write transaction held on a connection of its own, so that it can take rows
//! through `COPY` as well as statements.
//!
//! sea-orm's transactions do not lend their connection, and `COPY` needs one. So the
//! session opens a one-connection pool beside the server's, issues `BEGIN` on it and hands
//! out a [`DatabaseConnection`] over that pool: every statement through it, and every `COPY`,
//! runs on the one connection, inside the one transaction.
//!
//! A pool would quietly replace a connection it lost, and the statements after it would run
//! outside the transaction, each committed on its own. So the pool refuses to open a second
//! connection: once the first is lost, every statement fails, and the transaction is gone
//! with its connection, as PostgreSQL rolls back what a closed connection had not committed.
//! The connection never expires for age or idleness while the session lasts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::sqlx::postgres::{PgPool, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, RuntimeErr, SqlxPostgresConnector};

use super::error::StoreError;

/// A transaction on PostgreSQL that also takes `COPY`; ended by [`BulkSession::commit`] or
/// [`BulkSession::rollback`], or rolled back when dropped.
pub struct BulkSession {
    pool: PgPool,
    db: DatabaseConnection,
    open: bool,
}

/// A driver error as the store's.
fn store_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::Db(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))))
}

impl BulkSession {
    /// Begins a transaction on a connection of its own to the store `db` is connected to
    /// (which must be PostgreSQL), with the same connection options.
    pub async fn begin(db: &DatabaseConnection) -> Result<BulkSession, StoreError> {
        let server = db.get_postgres_connection_pool();
        let connected = Arc::new(AtomicBool::new(false));
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(server.options().get_acquire_timeout())
            .test_before_acquire(false)
            .after_connect(move |_, _| {
                let again = connected.swap(true, Ordering::SeqCst);
                Box::pin(async move {
                    if again {
                        Err(sea_orm::sqlx::Error::Protocol(
                            "the connection of the transaction was lost".to_owned(),
                        ))
                    } else {
                        Ok(())
                    }
                })
            })
            .connect_with((*server.connect_options()).clone())
            .await
            .map_err(store_error)?;
        let db = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
        let session = BulkSession {
            pool,
            db,
            open: true,
        };
        session.db.execute_unprepared("BEGIN").await?;
        // The server's connections stop a statement at the request timeout; an import's
        // statements over millions of rows may take longer. Its caller bounds it instead (a
        // submission's own timeout drops the session, which closes the connection and so
        // rolls back).
        session
            .db
            .execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
        Ok(session)
    }

    /// The transaction, for statements.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `statement` (a `COPY ... FROM STDIN`) in the transaction with `data` as its
    /// input; returns the rows copied.
    pub async fn copy_in(&self, statement: &str, data: &[u8]) -> Result<u64, StoreError> {
        let mut connection = self.pool.acquire().await.map_err(store_error)?;
        let mut copy = connection
            .copy_in_raw(statement)
            .await
            .map_err(store_error)?;
        copy.send(data).await.map_err(store_error)?;
        copy.finish().await.map_err(store_error)
    }

    /// Commits the transaction.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        self.open = false;
        let committed = self.db.execute_unprepared("COMMIT").await;
        self.pool.close().await;
        committed?;
        Ok(())
    }

    /// Rolls the transaction back. Closing its connection would do it too; this says so to
    /// PostgreSQL at once.
    pub async fn rollback(mut self) {
        self.open = false;
        if let Err(e) = self.db.execute_unprepared("ROLLBACK").await {
            tracing::debug!(error = %e, "rolling back (the connection's close does it)");
        }
        self.pool.close().await;
    }
}

impl Drop for BulkSession {
    /// A session dropped while open (its task cancelled) closes its connection, which rolls
    /// the transaction back.
    fn drop(&mut self) {
        if self.open
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let pool = self.pool.clone();
            runtime.spawn(async move { pool.close().await });
        }
    }
}

/// Rows in the text format of `COPY`: fields split by tabs, rows ended by line breaks, `\N`
/// for a missing value, and a backslash before any backslash, tab or line break in a text.
#[derive(Debug, Default)]
pub struct CopyRows {
    text: Vec<u8>,
    row_started: bool,
}

impl CopyRows {
    /// Rows expected to take about `bytes`.
    pub fn with_capacity(bytes: usize) -> CopyRows {
        CopyRows {
            text: Vec::with_capacity(bytes),
            row_started: false,
        }
    }

    fn field(&mut self) -> &mut Vec<u8> {
        if self.row_started {
            self.text.push(b'\t');
        }
        self.row_started = true;
        &mut self.text
    }

    /// Adds a whole number.
    pub fn number(&mut self, value: impl itoa::Integer) -> &mut Self {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(value);
        self.field().extend_from_slice(digits.as_bytes());
        self
    }

    /// Adds a double: Rust prints the shortest text that reads back as the same double.
    pub fn double(&mut self, value: f64) -> &mut Self {
        use std::io::Write;
        // Writing to a vector cannot fail.
        let _ = write!(self.field(), "{value}");
        self
    }

    /// Adds a text, escaped.
    pub fn text(&mut self, value: &str) -> &mut Self {
        let out = self.field();
        for &b in value.as_bytes() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
        self
    }

    /// Adds `value` with `add`, or a missing value.
    pub fn maybe<T>(&mut self, value: Option<T>, add: impl FnOnce(&mut Self, T)) -> &mut Self {
        match value {
            Some(value) => add(self, value),
            None => self.field().extend_from_slice(b"\\N"),
        }
        self
    }

    /// Ends the row.
    pub fn end_row(&mut self) {
        self.text.push(b'\n');
        self.row_started = false;
    }

    /// The rows' text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_rows_split_fields_by_tabs_and_escape_what_would_split_them() {
        let mut rows = CopyRows::default();
        rows.number(-7_i64)
            .text("a\tb\\c\nd\re \\N")
            .maybe(None::<i32>, |o, n| _ = o.number(n))
            .maybe(Some("x"), |o, t| _ = o.text(t))
            .end_row();
        rows.double(0.1 + 0.2).number(u8::MAX).end_row();
        assert_eq!(
            rows.as_bytes(),
            b"-7\ta\\tb\\\\c\\nd\\re \\\\N\t\\N\tx\n0.30000000000000004\t255\n"
        );
    }

    #[test]
    fn a_double_is_written_as_the_shortest_text_that_reads_back_the_same() {
        for value in [0.1 + 0.2, 1e-7, 123_456_789.125, -0.0, f64::MAX, 5e-324] {
            let mut rows = CopyRows::default();
            rows.double(value);
            let text = std::str::from_utf8(rows.as_bytes()).expect("UTF-8");
            assert_eq!(
                text.parse::<f64>().expect("a number").to_bits(),
                value.to_bits()
            );
        }
    }
}
