//! The rules of the explorer, free of HTTP, GraphQL and storage: unit-tested in place.

pub mod geography;
