//! Programme outcomes: what each programme delivered against its targets, where, and how much
//! of it reached cold spots.

use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject};

use super::context::{database, load};
use super::cost;
use super::error::ApiResult;
use super::indicators::index_of;
use super::loaders::ProgrammeMetricsKey;
use super::types::{AreaLevelInput, AreaNode};
use crate::domain::geography::AreaLevel;
use crate::domain::index::Method;
use crate::domain::programme::{self, UnitKind};
use crate::service::geography;
use crate::service::index::IndexKey;
use crate::service::programmes::{self as service, kind_of};
use crate::store::programmes::{Metric, Programme};

/// Whether a metric counts or gives a percentage.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(name = "MetricKind")]
pub enum MetricKindOutput {
    /// People, events, placements or matches: summed across areas and periods.
    Count,
    /// A percentage: never summed; re-derived from its numerator and denominator when both
    /// are recorded.
    Percentage,
}

/// What a programme counts or measures.
#[derive(SimpleObject, Clone)]
#[graphql(name = "ProgrammeMetric")]
pub struct MetricNode {
    /// Code within the programme.
    pub code: String,
    /// Display name.
    pub name: String,
    /// The unit as published: `people`, `events`, `placements`, `matches` or `percent`.
    pub unit: String,
    /// Count or percentage.
    pub kind: MetricKindOutput,
    /// For a percentage: the count metric it is the share of (numerator).
    pub numerator: Option<String>,
    /// For a percentage: the count metric it is a share of (denominator).
    pub denominator: Option<String>,
}

impl From<&Metric> for MetricNode {
    fn from(m: &Metric) -> Self {
        MetricNode {
            code: m.code.clone(),
            name: m.name.clone(),
            unit: m.unit.clone(),
            kind: match kind_of(m) {
                UnitKind::Count => MetricKindOutput::Count,
                UnitKind::Percentage => MetricKindOutput::Percentage,
            },
            numerator: m.numerator.clone(),
            denominator: m.denominator.clone(),
        }
    }
}

/// The organisation running a programme.
#[derive(SimpleObject, Clone)]
pub struct ProgrammeOwner {
    /// Its code, for example `MOJ`.
    pub code: String,
    /// Its name.
    pub name: String,
}

/// One period of a metric: delivered against planned.
#[derive(SimpleObject, Clone)]
pub struct SeriesPoint {
    /// The period.
    pub period: String,
    /// What was delivered; null when none is recorded or it cannot be aggregated (see
    /// `actualNotAggregated`).
    pub actual: Option<f64>,
    /// What was planned; null when none is recorded or it cannot be aggregated.
    pub target: Option<f64>,
    /// actual / target (1.0 = target met); null unless both are known and the target is not 0.
    pub attainment: Option<f64>,
    /// actual minus the actual of the previous period that has one (`changeFrom`).
    pub change: Option<f64>,
    /// The period `change` compares with.
    pub change_from: Option<String>,
    /// The unit of `actual`, `target` and `change`: the metric's, as published.
    pub unit: String,
    /// Why `actual` is null although figures exist (several percentages that cannot be
    /// re-derived).
    pub actual_not_aggregated: Option<String>,
    /// Why `target` is null although figures exist.
    pub target_not_aggregated: Option<String>,
    /// True when the figures are synthetic demo data (their programme's flag).
    pub synthetic: bool,
    /// Who published the figures (their programme's source); null when not stated.
    pub source: Option<String>,
    /// The figures' licence; null when not stated.
    pub licence: Option<String>,
    /// Where the source is ambiguous about a figure of this period (it gives another value
    /// elsewhere, or no year), what it says; empty when it is not.
    pub caveats: Vec<String>,
}

/// A metric summed over areas for one period.
#[derive(SimpleObject, Clone)]
pub struct ProgrammeTotal {
    /// The period.
    pub period: String,
    /// Actuals over every area with one; null when there is none or it cannot be aggregated.
    pub actual: Option<f64>,
    /// Targets over every area with one.
    pub target: Option<f64>,
    /// How many area figures the actual sums.
    pub actual_areas: u64,
    /// The unit of `actual` and `target`: the metric's, as published.
    pub unit: String,
    /// Why `actual` or `target` is null although figures exist.
    pub not_aggregated: Option<String>,
    /// True when the figures are synthetic demo data (their programme's flag).
    pub synthetic: bool,
    /// Who published the figures (their programme's source); null when not stated.
    pub source: Option<String>,
    /// The figures' licence; null when not stated.
    pub licence: Option<String>,
    /// Where the source is ambiguous about a figure of this period (it gives another value
    /// elsewhere, or no year), what it says; empty when it is not.
    pub caveats: Vec<String>,
}

/// A programme's activity in one area, and how much of it was in cold spots.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ReachArea {
    /// The area's code.
    pub area_code: String,
    /// Actual activity recorded within the area (summed over its figures).
    pub value: f64,
    /// The part recorded in local authorities (what the cold-spot share is a share of).
    pub value_in_authorities: f64,
    /// The part recorded in cold-spot local authorities.
    pub cold_spot_value: f64,
    /// cold-spot value / value in authorities (3 decimals); null when nothing was recorded in
    /// a local authority.
    pub cold_spot_share: Option<f64>,
    /// The period of the local-authority index that says which authorities are cold spots.
    pub index_period: String,
    /// True when an input is synthetic demo data: the programmes' figures, or the index that
    /// decides which authorities are cold spots (real and synthetic figures are never summed
    /// together, but real figures may be set against a synthetic index when no real one has
    /// the period).
    pub synthetic: bool,
}

#[ComplexObject]
impl ReachArea {
    /// The area.
    async fn area(&self, ctx: &Context<'_>) -> ApiResult<Option<AreaNode>> {
        Ok(load(ctx, self.area_code.clone()).await?.map(AreaNode))
    }
}

/// A programme and its figures.
#[derive(Clone)]
pub struct ProgrammeNode(pub Programme);

impl ProgrammeNode {
    async fn metrics_of(&self, ctx: &Context<'_>) -> ApiResult<Vec<Metric>> {
        Ok(load(ctx, ProgrammeMetricsKey(self.0.id))
            .await?
            .unwrap_or_default())
    }

    async fn metric(&self, ctx: &Context<'_>, code: &str) -> ApiResult<(Metric, Vec<Metric>)> {
        let metrics = self.metrics_of(ctx).await?;
        let metric = service::metric_named(&self.0, &metrics, code)?;
        Ok((metric, metrics))
    }

    /// The programme's source or licence, `None` when not stated.
    fn stated(text: &str) -> Option<String> {
        Some(text.to_owned()).filter(|t| !t.is_empty())
    }
}

/// An outreach or progression programme, with what it delivered against its targets.
#[Object(name = "Programme")]
impl ProgrammeNode {
    /// The code queries use.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it does.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Its stage: `outreach`, `university`, `entry`, `cold-spot outreach`, `progression`.
    async fn stage(&self) -> &str {
        &self.0.stage
    }
    /// Who runs it.
    async fn owner(&self) -> ProgrammeOwner {
        ProgrammeOwner {
            code: self.0.owner_code.clone(),
            name: self.0.owner_name.clone(),
        }
    }
    /// True when the programme and its figures are synthetic demo data.
    async fn synthetic(&self) -> bool {
        self.0.synthetic
    }
    /// Who published its figures; null when the file they came from did not say.
    async fn source(&self) -> Option<String> {
        Self::stated(&self.0.source)
    }
    /// The licence of its figures; null when the file they came from did not say.
    async fn licence(&self) -> Option<String> {
        Self::stated(&self.0.licence)
    }
    /// What it counts or measures, by code.
    #[graphql(complexity = "cost::list(cost::METRICS, child_complexity)")]
    async fn metrics(&self, ctx: &Context<'_>) -> ApiResult<Vec<MetricNode>> {
        Ok(self.metrics_of(ctx).await?.iter().map(Into::into).collect())
    }

    /// One metric period by period: actual, target, attainment and change. Without `area`,
    /// programme-wide figures where published, otherwise the sum over areas; with `area`,
    /// the figures of that area and the areas within it.
    #[graphql(complexity = "cost::list(cost::SERIES_POINTS, child_complexity)")]
    async fn series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric's code.")] metric: String,
        #[graphql(desc = "The first period (inclusive), by label order.")] from: Option<String>,
        #[graphql(desc = "The last period (inclusive), by label order.")] to: Option<String>,
        #[graphql(desc = "Only figures within this area (any area code).")] area: Option<String>,
    ) -> ApiResult<Vec<SeriesPoint>> {
        let db = database(ctx)?;
        let (metric, metrics) = self.metric(ctx, &metric).await?;
        let area = match area {
            Some(code) => Some(geography::area_argument(db, &code, "area").await?),
            None => None,
        };
        let rows = service::aggregated(
            db,
            &metric,
            &metrics,
            area.as_deref(),
            (from.as_deref(), to.as_deref()),
            area.is_none(),
        )
        .await?;
        let mut caveats: std::collections::HashMap<String, Vec<String>> = rows
            .iter()
            .map(|r| (r.period.clone(), r.caveats.clone()))
            .collect();
        let points = programme::series(
            rows.into_iter()
                .map(|r| (r.period, r.actual, r.target))
                .collect(),
        );
        Ok(points
            .into_iter()
            .map(|p| SeriesPoint {
                caveats: caveats.remove(&p.period).unwrap_or_default(),
                period: p.period,
                actual: p.actual.clone().ok().flatten(),
                target: p.target.clone().ok().flatten(),
                attainment: p.attainment,
                change: p.change,
                change_from: p.change_from,
                unit: metric.unit.clone(),
                actual_not_aggregated: p.actual.err(),
                target_not_aggregated: p.target.err(),
                synthetic: self.0.synthetic,
                source: Self::stated(&self.0.source),
                licence: Self::stated(&self.0.licence),
            })
            .collect())
    }

    /// A metric summed over the areas with figures (programme-wide figures left out), per
    /// period or for one. Percentages are re-derived from their numerator and denominator, or
    /// not aggregated.
    #[graphql(complexity = "cost::list(cost::SERIES_POINTS, child_complexity)")]
    async fn totals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric's code.")] metric: String,
        #[graphql(desc = "Only this period.")] period: Option<String>,
    ) -> ApiResult<Vec<ProgrammeTotal>> {
        let db = database(ctx)?;
        let (metric, metrics) = self.metric(ctx, &metric).await?;
        let rows = service::aggregated(
            db,
            &metric,
            &metrics,
            None,
            (period.as_deref(), period.as_deref()),
            false,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ProgrammeTotal {
                period: r.period,
                not_aggregated: r.actual.clone().err().or_else(|| r.target.clone().err()),
                actual: r.actual.ok().flatten(),
                target: r.target.ok().flatten(),
                actual_areas: r.figures,
                unit: metric.unit.clone(),
                synthetic: self.0.synthetic,
                source: Self::stated(&self.0.source),
                licence: Self::stated(&self.0.licence),
                caveats: r.caveats,
            })
            .collect())
    }
}

/// Programme queries.
#[derive(Default)]
pub struct ProgrammeQuery;

#[Object]
impl ProgrammeQuery {
    /// Programmes, optionally of one stage or owner, by code.
    #[graphql(complexity = "cost::list(cost::PROGRAMMES, child_complexity)")]
    async fn programmes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only programmes of this stage, for example `outreach`.")] stage: Option<
            String,
        >,
        #[graphql(desc = "Only programmes of this owner (its code or name).")] owner: Option<
            String,
        >,
    ) -> ApiResult<Vec<ProgrammeNode>> {
        let programmes = service::list(database(ctx)?, stage.as_deref(), owner.as_deref())
            .await?
            .into_iter()
            .map(ProgrammeNode)
            .collect();
        cost::within(
            programmes,
            cost::PROGRAMMES,
            "programmes",
            "; pass `stage` or `owner`",
        )
    }

    /// The programme with this code, or null.
    async fn programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The programme's code, for example `schools_programme`.")] code: String,
    ) -> ApiResult<Option<ProgrammeNode>> {
        Ok(service::by_code(database(ctx)?, &code)
            .await?
            .map(ProgrammeNode))
    }

    /// Where a count metric's actual activity happened: per area of `level`, the activity
    /// within it and the share recorded in cold-spot local authorities (by the
    /// local-authority index of `indexPeriod`, QUINTILES, every indicator).
    #[graphql(complexity = "cost::list(cost::REACH_AREAS, child_complexity)")]
    async fn programme_reach(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only this programme. Default: every programme with the metric.")]
        programme: Option<String>,
        #[graphql(desc = "The metric's code (a count).")] metric: String,
        #[graphql(desc = "Only this period. Default: every period.")] period: Option<String>,
        #[graphql(
            default_with = "AreaLevelInput::Region",
            desc = "The level of the areas reported."
        )]
        level: AreaLevelInput,
        #[graphql(
            desc = "The period of the local-authority index deciding the cold spots. Default: the latest with local-authority values."
        )]
        index_period: Option<String>,
    ) -> ApiResult<Vec<ReachArea>> {
        let db = database(ctx)?;
        let programmes = service::reach_programmes(db, programme.as_deref(), &metric).await?;
        let synthetic_figures = programmes.iter().any(|p| p.synthetic);
        let programmes: Vec<i32> = programmes.iter().map(|p| p.id).collect();
        let index_period = match index_period {
            Some(p) => p,
            None => service::latest_authority_period(db).await?,
        };
        let key = IndexKey {
            level: AreaLevel::LocalAuthority,
            period: index_period.clone(),
            method: Method::Quintiles,
            indicators: None,
        };
        let index = index_of(ctx, key).await?;
        let rows = service::reach(
            db,
            &metric,
            &programmes,
            period.as_deref(),
            level.into(),
            &index,
        )
        .await?;
        let rows = cost::within(rows, cost::REACH_AREAS, "programmeReach", "")?;
        Ok(rows
            .into_iter()
            .map(|r| ReachArea {
                area_code: r.area_code,
                value: r.value,
                value_in_authorities: r.in_authorities,
                cold_spot_value: r.cold_spots,
                cold_spot_share: r.cold_spot_share,
                index_period: index_period.clone(),
                synthetic: synthetic_figures || index.synthetic(),
            })
            .collect())
    }
}
