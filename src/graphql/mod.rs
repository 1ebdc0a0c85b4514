//! The GraphQL schema: one query module per domain, merged into one root; no HTTP in here.

pub mod access;
pub mod context;
pub mod cost;
pub mod document;
pub mod error;
pub mod geography;
pub mod indicators;
pub mod limits;
pub mod loaders;
pub mod pagination;
pub mod persisted;
pub mod programmes;
pub mod releases;
pub mod tabular;
pub mod types;
pub mod workforce;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use std::time::Duration;

use crate::store::Pool;

use crate::domain::disclosure::Policy;

pub use self::limits::Limits;

/// The root of every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    access::AccessQuery,
    geography::GeographyQuery,
    indicators::IndicatorQuery,
    programmes::ProgrammeQuery,
    releases::ReleaseQuery,
    workforce::WorkforceQuery,
);

/// The explorer's schema: read-only, so no mutations and no subscriptions.
pub type ApiSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

fn builder() -> SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
}

/// The schema serving `db` within `limits`, batching look-ups over `batch_window` and
/// publishing workforce figures under the disclosure `policy`.
pub fn build_schema(db: Pool, limits: Limits, batch_window: Duration, policy: Policy) -> ApiSchema {
    // `INTROSPECTION=false` is enforced by `QueryLimits` before validation, with its own code.
    builder()
        .data(db.clone())
        .data(policy)
        .extension(limits::QueryLimits(limits))
        .extension(loaders::PerRequestLoaders::new(db, batch_window))
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
