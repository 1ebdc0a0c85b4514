//! The rules of the explorer, free of HTTP, GraphQL and storage: unit-tested in place.

pub mod disclosure;
pub mod formats;
pub mod geography;
pub mod index;
pub mod programme;
pub mod ptable;
pub mod seb;
pub mod workforce;
