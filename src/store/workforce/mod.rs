//! Queries over the workforce tables: reading employers and snapshots, and aggregating staff
//! records ([`read`]); writing them, what imports use ([`write`], through the [`stage`]); the pre-aggregated cells
//! built from them at import, which the server answers from ([`cells`]).
//!
//! The server never groups staff records per request: it sums [`cells`]. The `GROUP BY`s
//! over records in [`read`] are the reference the cells are checked against.

pub mod cells;
pub mod read;
pub mod stage;
pub mod write;

pub use read::*;

pub use stage::NewRecord;
pub use write::{
    create_snapshot, delete_employer, delete_snapshot, ensure_business_units, ensure_employer,
    ensure_grades, latest_version, refresh_statistics, rename_employer, set_records, supersede,
};
