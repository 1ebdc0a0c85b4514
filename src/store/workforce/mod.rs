//! Queries over the workforce tables: reading employers and snapshots, and aggregating staff
//! records ([`read`]); writing them, what imports use ([`write`]). Both are re-exported here.
//!
//! Every figure is computed by the database with `GROUP BY`; records are never read into Rust.

pub mod read;
pub mod write;

pub use read::*;

pub use write::{
    NewRecord, ensure_business_units, ensure_employer, ensure_grades, insert_records, record_keys,
    refresh_statistics, replace_snapshot,
};
