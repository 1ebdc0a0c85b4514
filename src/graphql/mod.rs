//! The GraphQL schema: one query module per domain, merged into one root; no HTTP in here.

pub mod cost;
pub mod document;
pub mod error;
pub mod geography;
pub mod indicators;
pub mod limits;
pub mod loaders;
pub mod pagination;
pub mod programmes;
pub mod workforce;

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder,
};
use std::time::Duration;

use crate::store::Pool;

use crate::domain::disclosure::Policy;

use self::error::{ApiError, ApiResult};
pub use self::limits::Limits;

/// The root of every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    geography::GeographyQuery,
    indicators::IndicatorQuery,
    programmes::ProgrammeQuery,
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

/// The request's database connection.
pub(crate) fn database<'a>(ctx: &Context<'a>) -> ApiResult<&'a Pool> {
    ctx.data::<Pool>()
        .map_err(|_| ApiError::Internal("database missing from the schema".into()))
}

/// The request's loader (batched look-ups, cached for the request only).
pub(crate) fn loader<'a>(
    ctx: &Context<'a>,
) -> ApiResult<&'a async_graphql::dataloader::DataLoader<loaders::AreaLoader>> {
    ctx.data::<async_graphql::dataloader::DataLoader<loaders::AreaLoader>>()
        .map_err(|_| ApiError::Internal("loader missing from the request".into()))
}

/// The primary code of the area an argument names by any of its codes; NOT_FOUND otherwise.
pub(crate) async fn area_argument(db: &Pool, code: &str, argument: &str) -> ApiResult<String> {
    Ok(crate::store::areas::find(db, code)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "`{argument}`: no area has the code `{}`",
                error::quote(code)
            ))
        })?
        .code)
}
