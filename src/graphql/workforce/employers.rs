//! Employers whose workforce is loaded, with their snapshots, business units and grades.

use async_graphql::{ComplexObject, Context, SimpleObject};

use crate::graphql::context::load_list;
use crate::graphql::cost;
use crate::graphql::error::ApiResult;
use crate::graphql::loaders::{BusinessUnitsKey, GradesKey, SnapshotsKey};
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
}

impl From<Employer> for EmployerNode {
    fn from(e: Employer) -> Self {
        EmployerNode {
            code: e.code,
            name: e.name,
            sector: e.sector,
            synthetic: e.synthetic,
            id: e.id,
        }
    }
}

/// One employer-year of staff records, as last imported.
#[derive(SimpleObject)]
pub struct SnapshotNode {
    /// The year.
    pub year: i32,
    /// Where the records came from (the imported file's name).
    pub source: String,
    /// When it was imported, in seconds since 1970-01-01 UTC.
    pub imported_at: i64,
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
    /// The years loaded (at most 30), each with its source. (Record counts are not published: a
    /// snapshot's size is itself a headcount.)
    #[graphql(complexity = "cost::list(cost::YEARS, child_complexity)")]
    async fn snapshots(&self, ctx: &Context<'_>) -> ApiResult<Vec<SnapshotNode>> {
        let node = |s: Snapshot| SnapshotNode {
            year: s.year,
            source: s.source,
            imported_at: s.imported_at,
        };
        let key = SnapshotsKey(self.id);
        load_list(ctx, key, cost::YEARS, "EmployerNode.snapshots", node).await
    }

    /// Its business units, by name (at most 200).
    #[graphql(complexity = "cost::list(cost::BUSINESS_UNITS, child_complexity)")]
    async fn business_units(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let key = BusinessUnitsKey(self.id);
        let field = "EmployerNode.businessUnits";
        load_list(ctx, key, cost::BUSINESS_UNITS, field, |u: BusinessUnit| {
            u.name
        })
        .await
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
