//! Releases: the numbered publications workforce figures come from.

use async_graphql::{Context, Object, SimpleObject};

use super::context::database;
use super::cost;
use super::error::{ApiError, ApiResult};
use crate::service::releases as service;
use crate::store::releases::Release;

/// A release: the employers' submissions an admin published together, numbered in order.
/// Public workforce figures come from the latest release unless a question names another.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReleaseNode {
    /// Its number: 1, 2, 3, ... in the order published.
    pub number: i32,
    /// When it was published, in seconds since 1970-01-01 UTC.
    pub published_at: i64,
    /// What it publishes, in the publisher's words.
    pub notes: String,
    /// The earlier release it corrects, if it is a correction.
    pub corrects: Option<i32>,
}

impl From<Release> for ReleaseNode {
    fn from(r: Release) -> Self {
        ReleaseNode {
            number: r.number,
            published_at: r.published_at,
            notes: r.notes,
            corrects: r.corrects,
        }
    }
}

/// Release queries.
#[derive(Default)]
pub struct ReleaseQuery;

#[Object]
impl ReleaseQuery {
    /// The releases, newest first.
    #[graphql(complexity = "cost::list(cost::RELEASES, child_complexity)")]
    async fn releases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many: 1 to 100, default 100.", default = 100)] first: i32,
    ) -> ApiResult<Vec<ReleaseNode>> {
        let wanted = usize::try_from(first)
            .ok()
            .filter(|n| (1..=cost::RELEASES).contains(n))
            .ok_or_else(|| {
                ApiError::BadUserInput(format!("`first` must be between 1 and {}", cost::RELEASES))
            })?;
        let all = service::list(database(ctx)?).await?;
        Ok(all
            .into_iter()
            .take(wanted)
            .map(ReleaseNode::from)
            .collect())
    }
}
