//! What resolvers take from the request's context: the store, the loaders, the disclosure
//! policy, and area arguments resolved to primary codes.

use async_graphql::Context;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};

use super::cost;
use super::error::{ApiError, ApiResult};
use super::loaders::AreaLoader;
use crate::domain::access::Caller;
use crate::domain::disclosure::Policy;
use crate::store::{Pool, StoreError};

/// The request's database connection.
pub(crate) fn database<'a>(ctx: &Context<'a>) -> ApiResult<&'a Pool> {
    ctx.data::<Pool>()
        .map_err(|_| ApiError::Internal("database missing from the schema".into()))
}

/// The request's loader (batched look-ups, cached for the request only).
pub(crate) fn loader<'a>(ctx: &Context<'a>) -> ApiResult<&'a DataLoader<AreaLoader>> {
    ctx.data::<DataLoader<AreaLoader>>()
        .map_err(|_| ApiError::Internal("loader missing from the request".into()))
}

/// What the request's loader finds for `key` (fetched in a batch with the other keys of the
/// request, once per request).
pub(crate) async fn load<K>(
    ctx: &Context<'_>,
    key: K,
) -> ApiResult<Option<<AreaLoader as Loader<K>>::Value>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    AreaLoader: Loader<K, Error = Arc<StoreError>>,
{
    Ok(loader(ctx)?.load_one(key).await?)
}

/// The list the request's loader finds for `key` (empty when none), each item made a node,
/// or `RESULT_TOO_LARGE` beyond the field's documented maximum `bound`.
pub(crate) async fn load_list<K, T, N>(
    ctx: &Context<'_>,
    key: K,
    bound: usize,
    field: &str,
    node: impl FnMut(T) -> N,
) -> ApiResult<Vec<N>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    AreaLoader: Loader<K, Value = Vec<T>, Error = Arc<StoreError>>,
{
    let items = load(ctx, key)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(node)
        .collect();
    cost::within(items, bound, field, "")
}

/// Who asks: the key the request carried, or the public.
pub(crate) fn caller<'a>(ctx: &Context<'a>) -> &'a Caller {
    ctx.data_opt::<Caller>().unwrap_or(&Caller::Public)
}

/// The disclosure policy every published workforce figure passes through.
pub(crate) fn policy(ctx: &Context<'_>) -> ApiResult<Policy> {
    ctx.data::<Policy>()
        .cloned()
        .map_err(|_| ApiError::Internal("disclosure policy missing from the schema".into()))
}
