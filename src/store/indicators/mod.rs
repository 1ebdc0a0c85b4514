//! Queries over cold-spot indicators and their values, and the index's aggregates.
//!
//! The index's standardisation and domain means are `GROUP BY`s here; only the per-area
//! domain scores (a few hundred rows) reach Rust, where `domain::index` ranks them.

mod index;
mod values;

pub use index::*;
pub use values::*;
