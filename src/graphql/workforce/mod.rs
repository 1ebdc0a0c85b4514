//! Workforce queries: who gets in, who gets on and how it feels, by socio-economic
//! background, with every figure passed through disclosure control.

mod employers;
mod types;

pub use employers::{EmployerNode, GradeNode, SnapshotNode};
pub use types::*;

use std::sync::Arc;

use async_graphql::{Context, Object};

use super::context::{caller, database, policy};
use super::cost;
use super::error::{ApiError, ApiResult};
use crate::domain::disclosure::{Count, round_fraction};
use crate::domain::seb::Measure;
use crate::domain::workforce::Dimension;
use crate::graphql::releases::ReleaseNode;
use crate::service::releases::{described, reading};
use crate::service::workforce::{self as service, Question};

/// Staff records selected by a filter, and the figures about them.
pub struct Workforce(Question);

fn reason(count: &Count) -> Option<SuppressionReason> {
    count.suppressed.map(Into::into)
}

/// The dimensions `by` names, each at most once.
fn dimensions(by: &[WorkforceDimension]) -> ApiResult<Vec<Dimension>> {
    let mut dimensions: Vec<Dimension> = Vec::with_capacity(by.len());
    for named in by {
        let d = Dimension::from(*named);
        if dimensions.contains(&d) {
            // The GraphQL name (`REGION`), as the caller wrote it.
            let name = async_graphql::InputType::to_value(named);
            return Err(ApiError::BadUserInput(format!("`by` names {name} twice")));
        }
        dimensions.push(d);
    }
    Ok(dimensions)
}

/// Everything about a set of staff records; every number is disclosure-controlled.
#[Object]
impl Workforce {
    /// The years the figures cover.
    #[graphql(complexity = "cost::list(cost::YEARS, child_complexity)")]
    async fn years(&self) -> &[i32] {
        self.0.years()
    }

    /// The employers the figures cover.
    #[graphql(complexity = "cost::list(cost::EMPLOYERS, child_complexity)")]
    async fn employers(&self) -> Vec<EmployerNode> {
        let reading = self.0.reading();
        self.0
            .employers()
            .iter()
            .cloned()
            .map(|e| EmployerNode::new(e, reading.clone()))
            .collect()
    }

    /// The release the figures come from (null before the first release, when only drafts
    /// can be read).
    async fn release(&self, ctx: &Context<'_>) -> ApiResult<Option<ReleaseNode>> {
        let described = described(database(ctx)?, self.0.reading()).await?;
        Ok(described.map(Into::into))
    }

    /// True when the figures include unpublished drafts, in place of the release's versions
    /// of their employer-years: only an employer's key (its own drafts) or an admin key sees
    /// them, under the same disclosure control as published figures.
    async fn includes_drafts(&self) -> bool {
        self.0.reading().shows_drafts()
    }

    /// True when the figures are synthetic demo data (never mixed with real data).
    async fn synthetic(&self) -> bool {
        self.0.synthetic()
    }

    /// The disclosure rules applied.
    async fn disclosure(&self) -> DisclosurePolicy {
        let policy = self.0.policy();
        let ptable = &policy.ptable;
        DisclosurePolicy {
            method: DisclosureMethod::CellKeyPerturbation,
            minimum_count: i32::try_from(policy.min_count).unwrap_or(i32::MAX),
            ptable: PerturbationTable {
                name: ptable.name().to_owned(),
                sha256: ptable.sha256().to_owned(),
                max_deviation: i32::try_from(ptable.max_deviation()).unwrap_or(i32::MAX),
                variance: round_fraction(ptable.variance()),
            },
            totals_equal_sum_of_cells: false,
            note: policy.describe(),
        }
    }

    /// Everyone in the filter, perturbed; null when below the threshold.
    async fn headcount(&self) -> ApiResult<Option<u64>> {
        Ok(self.0.headcount().value)
    }

    /// Why `headcount` is withheld.
    async fn headcount_suppressed(&self) -> ApiResult<Option<SuppressionReason>> {
        Ok(reason(&self.0.headcount()))
    }

    /// The distribution over a measure's background groups, for each group of staff formed
    /// by `by` (none: one group of everyone). Shares are over those who declared.
    /// `benchmark` names what to compare with by area: `UK` or an area code. An area with a
    /// published reference population gives it; any other gives the staff of the other
    /// loaded employers (real or synthetic, as the figures are) working there in the same
    /// years, under the same disclosure control (`benchmark.published` is false).
    #[graphql(complexity = "cost::list(cost::groups(&by), child_complexity)")]
    async fn distribution(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "SebMeasure::ParentalOccupation",
            desc = "The SEB question whose background groups are counted."
        )]
        measure: SebMeasure,
        #[graphql(
            default,
            desc = "Up to three dimensions forming the groups, each at most once; none gives one group of everyone."
        )]
        by: Vec<WorkforceDimension>,
        #[graphql(
            desc = "What to compare with, by area: `UK` or an area code. A published reference population where the area has one (`referencePopulations` lists them), otherwise the other loaded employers' staff working in the area in the same years."
        )]
        benchmark: Option<String>,
    ) -> ApiResult<Vec<DistributionGroup>> {
        let db = database(ctx)?;
        let measure = Measure::from(measure);
        let benchmark: Option<Vec<ReferenceShare>> = match benchmark {
            Some(area) => Some(
                match service::benchmark(db, &self.0, &area, measure).await? {
                    service::Benchmark::Published(shares) => shares
                        .into_iter()
                        .filter_map(ReferenceShare::from_stored)
                        .collect(),
                    service::Benchmark::OtherEmployers(others) => {
                        ReferenceShare::from_other_employers(&others, measure)
                    }
                },
            ),
            None => None,
        };
        let dimensions = dimensions(&by)?;
        let groups = cost::within(
            self.0.groups(measure, &dimensions)?,
            cost::groups(&by),
            "Workforce.distribution",
            "; group by fewer dimensions or narrow the filter",
        )?;
        let groups = self.0.protect(groups);
        let names = Arc::new(self.0.names(db, &groups).await?);
        Ok(groups
            .iter()
            .map(|g| {
                let table = &g.table;
                DistributionGroup {
                    key: GroupKey::new(g.group.key.clone(), names.clone()),
                    headcount: table.headcount.value,
                    headcount_suppressed: reason(&table.headcount),
                    respondents: table.respondents.value,
                    respondents_suppressed: reason(&table.respondents),
                    declaration_rate: table.declaration_rate,
                    categories: table
                        .cells
                        .iter()
                        .map(|cell| {
                            let reference = benchmark.as_ref().and_then(|shares| {
                                shares.iter().find(|s| s.category == cell.category).cloned()
                            });
                            CategoryCount {
                                category: cell.category.to_owned(),
                                count: cell.count.value,
                                share: cell.share,
                                benchmark_share: reference.as_ref().map(|r| r.share),
                                benchmark: reference,
                                suppressed: reason(&cell.count),
                            }
                        })
                        .collect(),
                }
            })
            .collect())
    }

    /// Who gets on: for each group formed by `by`, its lower-SEB share (parental
    /// occupation) minus that of all staff in the filter.
    #[graphql(complexity = "cost::list(cost::groups(&[by]), child_complexity)")]
    async fn who_gets_on(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "WorkforceDimension::GradeLevel",
            desc = "The dimension forming the groups compared with all staff."
        )]
        by: WorkforceDimension,
    ) -> ApiResult<Vec<RepresentationGap>> {
        let db = database(ctx)?;
        let groups = cost::within(
            self.0.groups(Measure::ParentalOccupation, &[by.into()])?,
            cost::groups(&[by]),
            "Workforce.whoGetsOn",
            "; narrow the filter",
        )?;
        let groups = self.0.protect(groups);
        let names = Arc::new(self.0.names(db, &groups).await?);
        let representation = self.0.representation(&groups);
        Ok(groups
            .iter()
            .zip(representation)
            .map(|(g, r)| RepresentationGap {
                key: GroupKey::new(g.group.key.clone(), names.clone()),
                lower_share: r.share,
                overall_lower_share: r.overall,
                gap: r.comparison,
                suppressed: r.suppressed.map(Into::into),
            })
            .collect())
    }

    /// The progression ratio (parental occupation); null when the filter has no staff or
    /// no lower-SEB staff at all.
    async fn progression_ratio(&self) -> ApiResult<Option<Ratio>> {
        Ok(self.0.progression()?.map(|p| Ratio {
            value: p.shares.comparison,
            senior_grade_level: p.senior_grade_level,
            senior_lower_share: p.shares.share,
            overall_lower_share: p.shares.overall,
            suppressed: p.shares.suppressed.map(Into::into),
        }))
    }

    /// How it feels: the engagement gap between lower-SEB staff and other declared staff.
    /// Each mean is the sum of scores over the perturbed number of people with a score,
    /// rounded to a whole number, and withheld when that number is below the threshold.
    async fn engagement_gap(&self) -> ApiResult<Option<Gap>> {
        let e = self.0.engagement();
        Ok(Some(Gap {
            value: e.gap,
            lower_mean: e.lower.value,
            other_mean: e.other.value,
            suppressed: e.lower.suppressed.or(e.other.suppressed).map(Into::into),
        }))
    }
}

/// Workforce queries.
#[derive(Default)]
pub struct WorkforceQuery;

#[Object]
impl WorkforceQuery {
    /// Staff records selected by `filter` (default: the latest year of every employer with
    /// real data, or of the demo employers when none is loaded), and the figures about them.
    async fn workforce(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default,
            desc = "Which staff records to count; every field is optional."
        )]
        filter: WorkforceFilter,
        #[graphql(
            desc = "Which release to read: a number (`\"3\"`), `\"latest\"` or `\"draft\"` (the latest release with the drafts the request's key may see: an employer key its own, an admin key all). Default: `\"draft\"` for employer and admin keys, `\"latest\"` for everyone else."
        )]
        release: Option<String>,
    ) -> ApiResult<Workforce> {
        let db = database(ctx)?;
        let reading = reading(db, caller(ctx), release.as_deref()).await?;
        let question = service::ask(db, filter.into(), policy(ctx)?, reading).await?;
        Ok(Workforce(question))
    }

    /// Every employer with figures in the release read, by code.
    #[graphql(complexity = "cost::list(cost::EMPLOYERS, child_complexity)")]
    async fn employers(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Which release to read: a number (`\"3\"`), `\"latest\"` or `\"draft\"` (the latest release with the drafts the request's key may see: an employer key its own, an admin key all). Default: `\"draft\"` for employer and admin keys, `\"latest\"` for everyone else."
        )]
        release: Option<String>,
    ) -> ApiResult<Vec<EmployerNode>> {
        let db = database(ctx)?;
        let reading = reading(db, caller(ctx), release.as_deref()).await?;
        let employers = service::employers(db, &reading)
            .await?
            .into_iter()
            .map(|e| EmployerNode::new(e, reading.clone()))
            .collect();
        cost::within(employers, cost::EMPLOYERS, "employers", "")
    }

    /// Reference populations (benchmarks), optionally of one measure or one area (`UK` or an
    /// area code).
    #[graphql(complexity = "cost::list(cost::REFERENCE_SHARES, child_complexity)")]
    async fn reference_populations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only figures for this SEB question.")] measure: Option<SebMeasure>,
        #[graphql(desc = "Only figures for this population's area: `UK` or an area code.")]
        area: Option<String>,
    ) -> ApiResult<Vec<ReferenceShare>> {
        let shares =
            service::reference_shares(database(ctx)?, area.as_deref(), measure.map(Into::into))
                .await?;
        Ok(shares
            .into_iter()
            .filter_map(ReferenceShare::from_stored)
            .collect())
    }
}
