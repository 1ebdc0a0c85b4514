//! Storage: every sea-orm query lives here, in functions taking a connection.
//!
//! Functions take `&impl ConnectionTrait` so the same query runs on the pool or inside a
//! transaction, on SQLite and on PostgreSQL alike.

pub mod access;
pub mod areas;
pub mod bulk;
pub mod clock;
mod error;
pub mod indicators;
pub mod live;
mod pool;
pub mod programmes;
pub mod reference;
pub mod releases;
pub mod version;
pub mod workforce;

pub use error::StoreError;
pub use live::Live;
pub use pool::{Pool, PoolUsage, pool_usage};

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// How the server's connection pool behaves when the store is slow or gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_connections: u32,
    /// Longest a request waits for a connection (or for the store to accept one) before it
    /// is answered "unavailable".
    pub acquire_timeout: Duration,
    /// Longest one statement may run on PostgreSQL before the server cancels it.
    pub statement_timeout: Option<Duration>,
}

impl Default for PoolSettings {
    /// What commands use: patient, since a command has no client waiting on a socket.
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: None,
        }
    }
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

/// Pairs gathered under their first value, keys in order, values in the order given.
pub(crate) fn grouped<K: Ord, V>(rows: Vec<(K, V)>) -> std::collections::BTreeMap<K, Vec<V>> {
    let mut groups: std::collections::BTreeMap<K, Vec<V>> = std::collections::BTreeMap::new();
    for (key, value) in rows {
        groups.entry(key).or_default().push(value);
    }
    groups
}

/// The URL with every password in it replaced by `***`, fit for logs and messages.
///
/// Covers a password in the user information (`scheme://user:pw@host`, also with `@` in the
/// password or no user before it) and in the query string (`?password=...`, as libpq and
/// sqlx accept), and works on text that is not a valid URL. Whatever the layout, no form of a
/// password found (as written or percent-decoded) is left anywhere in the result.
pub fn redact_url(url: &str) -> String {
    let parts = UrlSecrets::of(url);
    let mut redacted = String::with_capacity(url.len());
    let mut from = 0;
    for range in &parts.ranges {
        redacted.push_str(&url[from..range.start]);
        redacted.push_str(MASK);
        from = range.end;
    }
    redacted.push_str(&url[from..]);
    parts.scrub(&redacted)
}

/// `text` (an error message, say) with `url` and every password it holds masked: the URL
/// itself is replaced by [`redact_url`]'s form, then any other occurrence of a password.
pub fn redact_in(url: &str, text: &str) -> String {
    let parts = UrlSecrets::of(url);
    let text = if url.is_empty() {
        text.to_owned()
    } else {
        text.replace(url, &redact_url(url))
    };
    parts.scrub(&text)
}

/// What replaces a password.
const MASK: &str = "***";

/// Query-string keys whose values are secrets, compared in lower case.
const SECRET_KEYS: [&str; 3] = ["password", "sslpassword", "pass"];

/// The passwords in a database URL: where they are, and every form they may be quoted in.
struct UrlSecrets {
    /// Byte ranges of the passwords in the URL, in order, not overlapping.
    ranges: Vec<std::ops::Range<usize>>,
    /// The passwords as written and decoded, longest first, none empty.
    forms: Vec<String>,
}

impl UrlSecrets {
    fn of(url: &str) -> UrlSecrets {
        let start = url.find("://").map_or(0, |i| i + 3);
        let rest = &url[start..];
        let mut ranges = Vec::new();
        // The user information ends at the last `@` before the query: a password may hold a raw
        // `@` (or `/`), and the host never does. An `@` in the query is not one of these.
        if let Some(first_at) = rest.find('@') {
            let query = rest[first_at..]
                .find(['?', '#'])
                .map_or(rest.len(), |i| first_at + i);
            let userinfo = rest[..query].rfind('@').map(|at| &rest[..at]);
            if let Some((user, password)) = userinfo.and_then(|u| u.split_once(':')) {
                let from = start + user.len() + 1;
                ranges.push(from..from + password.len());
            }
        }
        // Query parameters wherever they appear, whatever came before: where the query starts
        // cannot be told for sure in text that is not a valid URL.
        for (i, _) in url.match_indices(['?', '&']) {
            let pair = &url[i + 1..];
            let pair = &pair[..pair.find(['&', '#']).unwrap_or(pair.len())];
            if let Some((key, value)) = pair.split_once('=') {
                let name = percent_decode(key, true).to_ascii_lowercase();
                if SECRET_KEYS.contains(&name.as_str()) {
                    let value_start = i + 1 + key.len() + 1;
                    ranges.push(value_start..value_start + value.len());
                }
            }
        }
        ranges.retain(|r| !r.is_empty());
        ranges.sort_by_key(|r| r.start);
        let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
        for range in ranges {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        let mut forms = Vec::new();
        for range in &merged {
            let raw = &url[range.clone()];
            forms.push(raw.to_owned());
            forms.push(percent_decode(raw, false));
            forms.push(percent_decode(raw, true));
        }
        forms.retain(|f| !f.is_empty() && f != MASK);
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        UrlSecrets {
            ranges: merged,
            forms,
        }
    }

    /// `text` with every form of every password masked.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), MASK);
            }
        }
        text
    }
}

/// Decodes `%XX` escapes (and `+` as a space in a query string when `plus` is set); anything
/// that is not a valid escape is kept as written.
fn percent_decode(text: &str, plus: bool) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', high, low]) => char::from(*high)
                .to_digit(16)
                .zip(char::from(*low).to_digit(16))
                .and_then(|(h, l)| u8::try_from(h * 16 + l).ok()),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                decoded.push(byte);
                i += 3;
            }
            (None, b'+') if plus => {
                decoded.push(b' ');
                i += 1;
            }
            (None, byte) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// Opens a connection pool with the commands' settings, creating the SQLite file's directory
/// when it is missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, StoreError> {
    connect_with(url, PoolSettings::default()).await
}

/// Opens a connection pool with the given settings, creating the SQLite file's directory when
/// it is missing.
pub async fn connect_with(
    url: &str,
    settings: PoolSettings,
) -> Result<DatabaseConnection, StoreError> {
    // Drivers may quote the URL, or parts of it, in their messages.
    let open_error = |reason: String| StoreError::Open {
        url: redact_url(url),
        reason: redact_in(url, &reason),
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
        .max_connections(settings.max_connections)
        .connect_timeout(settings.acquire_timeout)
        .acquire_timeout(settings.acquire_timeout)
        // Statements are logged by the metric callback at debug level, not by sqlx at info.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|options| options.busy_timeout(SQLITE_BUSY_TIMEOUT));
    if let (Some(timeout), Some(Engine::Postgres)) =
        (settings.statement_timeout, Engine::of_url(url))
    {
        // A request that times out drops its future, but PostgreSQL would go on running the
        // statement; this makes the server stop it too.
        options.statement_timeout(timeout);
    }
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
        assert_eq!(
            redact_url("sqlite://data/explorer.db?mode=rwc"),
            "sqlite://data/explorer.db?mode=rwc"
        );
    }

    #[test]
    fn a_password_holding_at_signs_is_masked_whole() {
        assert_eq!(
            redact_url("postgres://app:p@ss@w0rd@db/x"),
            "postgres://app:***@db/x"
        );
        assert_eq!(
            redact_url("postgres://app:p%40ss@db/x?sslmode=require"),
            "postgres://app:***@db/x?sslmode=require"
        );
    }

    #[test]
    fn a_password_without_a_user_is_masked() {
        assert_eq!(
            redact_url("postgres://:s3cret@db/x"),
            "postgres://:***@db/x"
        );
    }

    #[test]
    fn a_password_in_the_query_string_is_masked() {
        assert_eq!(
            redact_url("postgres://app@db/x?sslmode=disable&password=s3cret&application_name=a"),
            "postgres://app@db/x?sslmode=disable&password=***&application_name=a"
        );
        assert_eq!(
            redact_url("postgres:///x?host=/run/pg&user=app@corp&PASSWORD=s3cret#frag"),
            "postgres:///x?host=/run/pg&user=app@corp&PASSWORD=***#frag"
        );
        assert_eq!(
            redact_url("postgres://u:one@db/x?password=two"),
            "postgres://u:***@db/x?password=***"
        );
    }

    #[test]
    fn urls_that_do_not_parse_lose_their_password_too() {
        for (url, expected) in [
            (
                "postgres://u:s3cret@db:notaport/x",
                "postgres://u:***@db:notaport/x",
            ),
            ("u:s3cret@db/x", "u:***@db/x"),
            ("postgres://u:s3c/ret@db/x", "postgres://u:***@db/x"),
            ("postgres://u:s3c?ret@db/x", "postgres://u:***@db/x"),
            ("mysql://u:s3cret@[::1/x", "mysql://u:***@[::1/x"),
        ] {
            assert_eq!(redact_url(url), expected, "{url}");
        }
    }

    #[test]
    fn a_password_quoted_in_a_message_is_masked_in_every_form() {
        let url = "postgres://u:p%40ss+w%3Ard@db:notaport/x";
        let message = format!(
            "The connection string '{url}' cannot be parsed; user u, password p@ss+w:rd, or p@ss w:rd"
        );
        let redacted = redact_in(url, &message);
        assert_eq!(
            redacted,
            "The connection string 'postgres://u:***@db:notaport/x' cannot be parsed; \
             user u, password ***, or ***"
        );
        let url = "postgres://u@db/x?password=s%20cr+et";
        let redacted = redact_in(url, "url postgres://u@db/x?password=s%20cr+et: s cr et");
        assert_eq!(redacted, "url postgres://u@db/x?password=***: ***");
    }

    #[test]
    fn an_empty_password_masks_nothing_else() {
        assert_eq!(redact_url("postgres://u:@db/x"), "postgres://u:@db/x");
        assert_eq!(redact_in("postgres://u:@db/x", "no route"), "no route");
    }

    #[test]
    fn percent_escapes_decode_and_bad_ones_stay() {
        assert_eq!(percent_decode("a%40b%zz%4", false), "a@b%zz%4");
        assert_eq!(percent_decode("a+b%2B", true), "a b+");
        assert_eq!(percent_decode("a+b", false), "a+b");
    }

    #[test]
    fn the_engine_follows_the_url_scheme() {
        assert_eq!(Engine::of_url("sqlite://a.db"), Some(Engine::Sqlite));
        assert_eq!(Engine::of_url("postgresql://h/d"), Some(Engine::Postgres));
        assert_eq!(Engine::of_url("mysql://h/d"), None);
    }
}
