//! Employers whose workforce is loaded, with their snapshots, business units and grades.

use async_graphql::{ComplexObject, Context, SimpleObject};

use crate::graphql::context::load;
use crate::graphql::cost;
use crate::graphql::error::ApiResult;
use crate::graphql::loaders::{BusinessUnitsKey, GradesKey, SnapshotsKey};
use crate::store::workforce::Employer;

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
        let snapshots = load(ctx, SnapshotsKey(self.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|s| SnapshotNode {
                year: s.year,
                source: s.source,
                imported_at: s.imported_at,
            })
            .collect();
        cost::within(snapshots, cost::YEARS, "EmployerNode.snapshots", "")
    }

    /// Its business units, by name (at most 200).
    #[graphql(complexity = "cost::list(cost::BUSINESS_UNITS, child_complexity)")]
    async fn business_units(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let units = load(ctx, BusinessUnitsKey(self.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.name)
            .collect();
        cost::within(
            units,
            cost::BUSINESS_UNITS,
            "EmployerNode.businessUnits",
            "",
        )
    }

    /// Its grades, most junior first (at most 50).
    #[graphql(complexity = "cost::list(cost::GRADES, child_complexity)")]
    async fn grades(&self, ctx: &Context<'_>) -> ApiResult<Vec<GradeNode>> {
        let grades = load(ctx, GradesKey(self.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|g| GradeNode {
                label: g.label,
                level: g.level,
            })
            .collect();
        cost::within(grades, cost::GRADES, "EmployerNode.grades", "")
    }
}
