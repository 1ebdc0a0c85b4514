//! Releases: the numbered publications workforce figures come from.

use async_graphql::{ComplexObject, Context, Object, SimpleObject};

use super::context::database;
use super::cost;
use super::error::{ApiError, ApiResult};
use crate::service::releases::{self as service, Listed};

/// A release: the employers' submissions an admin published together, numbered in order.
/// Public workforce figures come from the latest release unless a question names another.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct ReleaseNode {
    /// Its number: 1, 2, 3, ... in the order published.
    pub number: i32,
    /// When it was published, in seconds since 1970-01-01 UTC.
    pub published_at: i64,
    /// What it publishes, in the publisher's words.
    pub notes: String,
    /// The earlier release it corrects, if it is a correction.
    pub corrects: Option<i32>,
    #[graphql(skip)]
    published: Vec<ReleasedSnapshot>,
}

/// One employer-year a release published.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReleasedSnapshot {
    /// The employer's code.
    pub employer: String,
    /// The year.
    pub year: i32,
    /// The earlier release whose figures of this employer-year it replaces (a correction);
    /// null when they are published for the first time.
    pub replaces_release: Option<i32>,
}

impl From<Listed> for ReleaseNode {
    fn from(listed: Listed) -> Self {
        let r = listed.release;
        let published = listed
            .snapshots
            .into_iter()
            .map(|s| ReleasedSnapshot {
                employer: s.employer,
                year: s.year,
                replaces_release: s.replaces_release,
            })
            .collect();
        ReleaseNode {
            number: r.number,
            published_at: r.published_at,
            notes: r.notes,
            corrects: r.corrects,
            published,
        }
    }
}

#[ComplexObject]
impl ReleaseNode {
    /// Each employer-year it published, by employer and year (at most 1,000).
    #[graphql(complexity = "cost::list(cost::RELEASE_SNAPSHOTS, child_complexity)")]
    async fn snapshots(&self) -> ApiResult<Vec<ReleasedSnapshot>> {
        cost::within(
            self.published.clone(),
            cost::RELEASE_SNAPSHOTS,
            "ReleaseNode.snapshots",
            "",
        )
    }
}

/// Release queries.
#[derive(Default)]
pub struct ReleaseQuery;

#[Object]
impl ReleaseQuery {
    /// The latest releases, newest first, each with what it published.
    #[graphql(
        complexity = "cost::list(usize::try_from(first).unwrap_or(0).min(cost::RELEASES), child_complexity)"
    )]
    async fn releases(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many: 1 to 100, default 10.", default = 10)] first: i32,
    ) -> ApiResult<Vec<ReleaseNode>> {
        let wanted = usize::try_from(first)
            .ok()
            .filter(|n| (1..=cost::RELEASES).contains(n))
            .ok_or_else(|| {
                ApiError::BadUserInput(format!("`first` must be between 1 and {}", cost::RELEASES))
            })?;
        let listed = service::list(database(ctx)?, wanted).await?;
        Ok(listed.into_iter().map(ReleaseNode::from).collect())
    }
}
