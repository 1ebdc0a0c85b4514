//! The time the store records.

/// Seconds since 1970 (UTC), now, by the clock of this process: what the store records as
/// the time of an import, a key or an event (SQLite has no portable "seconds since 1970"
/// expression that PostgreSQL shares).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
