//! Employers whose workforce is loaded, with their snapshots, business units and grades.

use async_graphql::{ComplexObject, Context, SimpleObject};

use crate::graphql::context::load_list;
use crate::graphql::cost;
use crate::graphql::error::ApiResult;
use crate::graphql::loaders::{BusinessUnitsKey, GradesKey, SnapshotsKey};
use crate::service::releases::Reading;
use crate::service::workforce::visible_units;
use crate::store::workforce::{BusinessUnit, Employer, Grade, Snapshot};

/// An employer whose workforce is loaded.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct EmployerNode {
    /// The code filters use.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Sector, when known.
    pub sector: Option<String>,
    /// True when this employer and all its figures are synthetic demo data.
    pub synthetic: bool,
    #[graphql(skip)]
    id: i32,
    /// The release (and drafts) its snapshots and units are listed from.
    #[graphql(skip)]
    reading: Reading,
}

impl EmployerNode {
    /// The employer, with its snapshots and units as `reading` reads them.
    pub fn new(e: Employer, reading: Reading) -> Self {
        EmployerNode {
            code: e.code,
            name: e.name,
            sector: e.sector,
            synthetic: e.synthetic,
            id: e.id,
            reading,
        }
    }
}

/// One employer-year of staff records, in the version read.
#[derive(SimpleObject)]
pub struct SnapshotNode {
    /// The year.
    pub year: i32,
    /// Where the records came from (the imported file's name).
    pub source: String,
    /// When it was imported, in seconds since 1970-01-01 UTC.
    pub imported_at: i64,
    /// The release that published this version; null: an unpublished draft (seen only with
    /// its employer's key or an admin key).
    pub release: Option<i32>,
}

/// A grade of an employer.
#[derive(SimpleObject)]
pub struct GradeNode {
    /// Its label, for example `G7`.
    pub label: String,
    /// Its level as last imported: 1 is the most junior.
    pub level: i32,
}

#[ComplexObject]
impl EmployerNode {
    /// The years loaded (at most 30), each with its source, in the version the release read
    /// has. (Record counts are not published: a snapshot's size is itself a headcount.)
    #[graphql(complexity = "cost::list(cost::YEARS, child_complexity)")]
    async fn snapshots(&self, ctx: &Context<'_>) -> ApiResult<Vec<SnapshotNode>> {
        let node = |s: Snapshot| {
            self.reading.view.reads(s.id).then_some(SnapshotNode {
                year: s.year,
                source: s.source,
                imported_at: s.imported_at,
                release: s.release,
            })
        };
        let key = SnapshotsKey(self.id);
        let all: Vec<Option<SnapshotNode>> =
            load_list(ctx, key, usize::MAX, "EmployerNode.snapshots", node).await?;
        let read: Vec<SnapshotNode> = all.into_iter().flatten().collect();
        cost::within(read, cost::YEARS, "EmployerNode.snapshots", "")
    }

    /// Its business units with staff in the release read, by name (at most 200).
    #[graphql(complexity = "cost::list(cost::BUSINESS_UNITS, child_complexity)")]
    async fn business_units(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let key = BusinessUnitsKey(self.id);
        let field = "EmployerNode.businessUnits";
        let visible = visible_units(&self.reading, self.id);
        let named = |u: BusinessUnit| visible.contains(&u.id).then_some(u.name);
        let all: Vec<Option<String>> = load_list(ctx, key, usize::MAX, field, named).await?;
        let read: Vec<String> = all.into_iter().flatten().collect();
        cost::within(read, cost::BUSINESS_UNITS, field, "")
    }

    /// Its grades, most junior first (at most 50).
    #[graphql(complexity = "cost::list(cost::GRADES, child_complexity)")]
    async fn grades(&self, ctx: &Context<'_>) -> ApiResult<Vec<GradeNode>> {
        let node = |g: Grade| GradeNode {
            label: g.label,
            level: g.level,
        };
        load_list(
            ctx,
            GradesKey(self.id),
            cost::GRADES,
            "EmployerNode.grades",
            node,
        )
        .await
    }
}
