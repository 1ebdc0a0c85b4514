//! Cold-spot indicators, their values, and the social mobility index computed from them.

use std::sync::Arc;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, SimpleObject};

use super::context::{database, load, load_list};
use super::cost;
use super::error::{ApiError, ApiResult};
use super::loaders::{
    AreaValuesKey, AuthoritiesKey, BreakdownsKey, IndicatorKey, LevelsKey, PeriodsKey,
};
use super::pagination::{
    Connection, Edge, MAX_MAP_PAGE_SIZE, Paged, connection, map_list_complexity, page_request_up_to,
};
use super::types::{AreaLevelInput, AreaNode, ClassificationOutput, IndexMethodInput, ZBandOutput};
use crate::domain::geography::{Area, AreaLevel};
use crate::domain::index::{BAND_CUT_OFFS, Method, Ranked, breakdown_types};
use crate::service::index::{self, IndexKey, IndexResult};
use crate::service::indicators::{self as indicator_service, ValuesQuery};
use crate::store::indicators::{Indicator, Value};

/// An indicator: one measured quantity per area and period.
#[derive(Clone)]
pub struct IndicatorNode(pub Indicator);

/// An indicator: one measured quantity per area and period, with its direction, source and
/// licence, and whether its values are real or synthetic.
#[Object(name = "Indicator")]
impl IndicatorNode {
    /// The code queries use.
    async fn code(&self) -> &str {
        &self.0.definition.code
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.definition.name
    }
    /// What it measures and how.
    async fn description(&self) -> &str {
        &self.0.definition.description
    }
    /// Unit of the values (`percent`, `pounds`, `ratio`, `score`, `z-score`, ...). Values in
    /// `z-score` are already standardised and enter the index as they are.
    async fn unit(&self) -> &str {
        &self.0.definition.unit
    }
    /// The life stage or index domain it belongs to.
    async fn domain(&self) -> &str {
        &self.0.definition.domain
    }
    /// Whether a higher value is better (the index flips indicators where lower is better).
    async fn higher_is_better(&self) -> bool {
        self.0.definition.higher_is_better
    }
    /// Who published it.
    async fn source(&self) -> &str {
        &self.0.definition.source
    }
    /// Its licence.
    async fn licence(&self) -> &str {
        &self.0.definition.licence
    }
    /// True when its values are invented demo data, not published figures.
    async fn synthetic(&self) -> bool {
        self.0.definition.synthetic
    }
    /// The periods it has values for, in order (at most 100).
    #[graphql(complexity = "cost::list(cost::PERIODS, child_complexity)")]
    async fn periods(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        let key = PeriodsKey(self.0.id);
        load_list(ctx, key, cost::PERIODS, "Indicator.periods", |p| p).await
    }
    /// The breakdowns its values come in besides the total, in order (at most 500): each as
    /// the `breakdown` argument of `indicatorValues` takes it, with its parts. Empty when it
    /// has totals only. Ask it of one indicator (`indicator(code:)`); `breakdownTypes` is the
    /// short form for many.
    #[graphql(complexity = "cost::list(cost::BREAKDOWNS, child_complexity)")]
    async fn breakdowns(&self, ctx: &Context<'_>) -> ApiResult<Vec<IndicatorBreakdown>> {
        let key = BreakdownsKey(self.0.id);
        load_list(ctx, key, cost::BREAKDOWNS, "Indicator.breakdowns", |text| {
            IndicatorBreakdown::of(text)
        })
        .await
    }
    /// The types of its breakdowns, each with the values it takes (from `breakdowns`; a value
    /// may exist only combined with other types there).
    #[graphql(complexity = "cost::list(cost::BREAKDOWN_TYPES, child_complexity)")]
    async fn breakdown_types(&self, ctx: &Context<'_>) -> ApiResult<Vec<BreakdownType>> {
        let key = BreakdownsKey(self.0.id);
        let texts: Vec<String> = load(ctx, key).await?.unwrap_or_default();
        let types = breakdown_types(&texts)
            .into_iter()
            .map(|(kind, values)| BreakdownType { kind, values })
            .collect();
        cost::within(types, cost::BREAKDOWN_TYPES, "Indicator.breakdownTypes", "")
    }
    /// The levels of the areas it has values for, in the order of `AreaLevel`.
    async fn levels(&self, ctx: &Context<'_>) -> ApiResult<Vec<AreaLevelInput>> {
        let key = LevelsKey(self.0.id);
        load_list(
            ctx,
            key,
            AreaLevel::ALL.len(),
            "Indicator.levels",
            |level| level.into(),
        )
        .await
    }
}

/// One breakdown an indicator's values come in.
#[derive(SimpleObject)]
pub struct IndicatorBreakdown {
    /// As the `breakdown` argument of `indicatorValues` takes it: `type=value` pairs sorted
    /// by type, joined by `;` (for example `quintile=1`).
    pub breakdown: String,
    /// Its `type=value` pairs, in order.
    pub parts: Vec<BreakdownPart>,
}

/// A type of breakdown and the values it takes.
#[derive(SimpleObject)]
pub struct BreakdownType {
    /// The type (for example `quintile` or `seb`).
    #[graphql(name = "type")]
    pub kind: String,
    /// Its values, in order.
    pub values: Vec<String>,
}

/// One `type=value` pair of a breakdown.
#[derive(SimpleObject)]
pub struct BreakdownPart {
    /// The type (for example `quintile` or `seb`).
    #[graphql(name = "type")]
    pub kind: String,
    /// The value.
    pub value: String,
}

impl IndicatorBreakdown {
    /// The breakdown stored as `text` (canonical `type=value;...`), with its parts.
    fn of(text: String) -> IndicatorBreakdown {
        let parts = text
            .split(';')
            .filter_map(|part| part.split_once('='))
            .map(|(kind, value)| BreakdownPart {
                kind: kind.to_owned(),
                value: value.to_owned(),
            })
            .collect();
        IndicatorBreakdown {
            breakdown: text,
            parts,
        }
    }
}

/// One value of an indicator, as stored.
#[derive(Clone)]
pub struct IndicatorValueNode(pub Value);

impl From<Value> for IndicatorValueNode {
    fn from(v: Value) -> Self {
        IndicatorValueNode(v)
    }
}

async fn area_node(ctx: &Context<'_>, code: &str) -> ApiResult<AreaNode> {
    load(ctx, code.to_owned())
        .await?
        .map(AreaNode)
        .ok_or_else(|| ApiError::Internal(format!("area {code} missing")))
}

/// One value of an indicator for one area, period and breakdown.
#[Object(name = "IndicatorValue")]
impl IndicatorValueNode {
    /// The area's code.
    async fn area_code(&self) -> &str {
        &self.0.value.area_code
    }
    /// The period, for example `2017` or `2021 to 2024`.
    async fn period(&self) -> &str {
        &self.0.value.period
    }
    /// The breakdown as `type=value` pairs joined by `;` (for example `seb=Working class`);
    /// empty for the total.
    async fn breakdown(&self) -> &str {
        &self.0.value.breakdown
    }
    /// The value, in the indicator's unit.
    async fn value(&self) -> f64 {
        self.0.value.value
    }
    /// Lower bound of the confidence interval, when published.
    async fn lower(&self) -> Option<f64> {
        self.0.value.lower
    }
    /// Upper bound of the confidence interval, when published.
    async fn upper(&self) -> Option<f64> {
        self.0.value.upper
    }
    /// The sample size behind the value, when published.
    async fn sample_size(&self) -> Option<i64> {
        self.0.value.sample_size
    }
    /// The publisher's note.
    async fn note(&self) -> Option<&str> {
        self.0.value.note.as_deref()
    }
    /// The group the publisher put the area in (a quintile or a z-score band), as published.
    async fn published_group(&self) -> Option<&str> {
        self.0.value.published_group.as_deref()
    }

    /// The area.
    async fn area(&self, ctx: &Context<'_>) -> ApiResult<AreaNode> {
        area_node(ctx, &self.0.value.area_code).await
    }

    /// The indicator.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<IndicatorNode> {
        load(ctx, IndicatorKey(self.0.indicator_id))
            .await?
            .map(IndicatorNode)
            .ok_or_else(|| ApiError::Internal("indicator missing".into()))
    }
}

impl Paged for IndicatorValueNode {
    const CONNECTION: &'static str = "IndicatorValueConnection";
    const EDGE: &'static str = "IndicatorValueEdge";
}

impl Paged for IndexEntry {
    // Pages of the index are built as plain connections, then carry their method in
    // `IndexConnection`; only the edge type appears in the schema under this name.
    const CONNECTION: &'static str = "IndexConnection";
    const EDGE: &'static str = "IndexEdge";
}

/// One domain's score for an area.
#[derive(SimpleObject, Clone)]
pub struct DomainScore {
    /// The domain.
    pub domain: String,
    /// The mean standardised value of the area's indicators in the domain.
    pub score: f64,
}

/// An area's ranked entry in a computed index, with the publisher's group when it has one.
#[derive(Clone)]
pub struct IndexEntry {
    ranked: Ranked,
    published: Option<String>,
    synthetic: bool,
}

/// An area's place in the index.
#[Object]
impl IndexEntry {
    /// The area's code.
    async fn area_code(&self) -> &str {
        &self.ranked.area
    }
    /// The overall score: the mean of the area's domain scores (higher is better).
    async fn score(&self) -> f64 {
        self.ranked.score
    }
    /// 1 = best; areas with equal scores share a rank. Ranks are over every area of the
    /// level, whatever `parent` narrows the list to.
    async fn rank(&self) -> u32 {
        self.ranked.rank
    }
    /// 1 = the top fifth of ranks (QUINTILES only).
    async fn quintile(&self) -> Option<u8> {
        self.ranked.quintile
    }
    /// The band of the score (Z_BANDS only).
    async fn z_band(&self) -> Option<ZBandOutput> {
        self.ranked.band.map(Into::into)
    }
    /// Hot spot, cold spot or neither, by the method asked for.
    async fn classification(&self) -> ClassificationOutput {
        self.ranked.classification.into()
    }
    /// Each domain's score.
    #[graphql(complexity = "cost::list(cost::DOMAINS, child_complexity)")]
    async fn domain_scores(&self) -> Vec<DomainScore> {
        let score = |(domain, score): &(String, f64)| DomainScore {
            domain: domain.clone(),
            score: *score,
        };
        self.ranked.domains.iter().map(score).collect()
    }
    /// How many indicator values the score was computed from (an area missing some keeps a
    /// score from the rest).
    async fn indicators_used(&self) -> u32 {
        self.ranked.indicators_used
    }
    /// The group the publisher gave the area, as published, when the index uses exactly one
    /// indicator that has published groups (for example the Commission's band).
    async fn published_classification(&self) -> Option<&str> {
        self.published.as_deref()
    }
    /// True when the index was computed from synthetic demo indicators: the rank and
    /// classification are then invented too, and say nothing about the real area.
    async fn synthetic(&self) -> bool {
        self.synthetic
    }
    /// The area.
    async fn area(&self, ctx: &Context<'_>) -> ApiResult<AreaNode> {
        area_node(ctx, &self.ranked.area).await
    }
}

fn entry(result: &IndexResult, r: &Ranked) -> IndexEntry {
    IndexEntry {
        ranked: r.clone(),
        published: result.published.get(&r.area).cloned(),
        synthetic: result.synthetic(),
    }
}

/// How many of an area's local authorities are cold spots in the local-authority index of a
/// period.
#[derive(SimpleObject, Clone)]
pub struct ColdSpots {
    /// The period of the local-authority index (QUINTILES, every indicator).
    pub period: String,
    /// The share (a fraction, 3 decimals) of the authorities with a score that are cold
    /// spots; null when none has a score.
    pub share: Option<f64>,
    /// How many of the area's local authorities are cold spots.
    pub cold_spots: u64,
    /// How many of the area's local authorities have a score (what the share is of).
    pub scored: u64,
    /// True when the index was computed from synthetic demo indicators: the share is then
    /// invented too, and says nothing about the real area.
    pub synthetic: bool,
}

/// An indicator as the index used it.
#[derive(SimpleObject, Clone)]
pub struct IndicatorUsed {
    /// Its code.
    pub code: String,
    /// Its domain.
    pub domain: String,
    /// Whether higher is better (if not, its standardised values were negated).
    pub higher_is_better: bool,
    /// How many areas had a value.
    pub areas: u64,
    /// The mean subtracted (0 for values already in z-scores).
    pub mean: f64,
    /// The population standard deviation divided by (1 for values already in z-scores).
    pub standard_deviation: f64,
}

/// The method and parameters an index was computed with: two answers with equal parameters
/// were computed the same way.
#[derive(SimpleObject, Clone)]
pub struct IndexParameters {
    /// The level whose areas were scored against each other.
    pub level: AreaLevelInput,
    /// The period.
    pub period: String,
    /// The method.
    pub method: IndexMethodInput,
    /// The indicators used, by code.
    #[graphql(complexity = "cost::list(cost::INDICATORS, child_complexity)")]
    pub indicators: Vec<IndicatorUsed>,
    /// Indicators left out because their values do not vary (they cannot be standardised).
    #[graphql(complexity = "cost::list(cost::INDICATORS, child_complexity)")]
    pub skipped_indicators: Vec<String>,
    /// The domains, in order.
    #[graphql(complexity = "cost::list(cost::DOMAINS, child_complexity)")]
    pub domains: Vec<String>,
    /// How many areas were scored.
    pub areas_scored: u64,
    /// True when the indicators are synthetic demo data (never combined with published ones).
    pub synthetic: bool,
    /// QUINTILES: the last rank of quintiles 1 to 4 (the rank nearest each fifth).
    #[graphql(complexity = "cost::list(cost::CUT_OFFS, child_complexity)")]
    pub quintile_cut_offs: Option<Vec<u32>>,
    /// Z_BANDS: the band cut-offs, symmetric around 0.
    #[graphql(complexity = "cost::list(cost::CUT_OFFS, child_complexity)")]
    pub band_cut_offs: Option<Vec<f64>>,
    /// How the score is built.
    pub description: String,
}

fn parameters(result: &IndexResult) -> IndexParameters {
    let mut domains: Vec<String> = result
        .used
        .iter()
        .map(|(i, _)| i.definition.domain.clone())
        .collect();
    domains.sort();
    domains.dedup();
    IndexParameters {
        level: result.key.level.into(),
        period: result.key.period.clone(),
        method: result.key.method.into(),
        indicators: result
            .used
            .iter()
            .map(|(i, s)| IndicatorUsed {
                code: i.definition.code.clone(),
                domain: i.definition.domain.clone(),
                higher_is_better: i.definition.higher_is_better,
                areas: s.areas,
                mean: s.mean,
                standard_deviation: s.sd,
            })
            .collect(),
        skipped_indicators: result.skipped.clone(),
        domains,
        areas_scored: result.ranked.len() as u64,
        synthetic: result.synthetic(),
        quintile_cut_offs: (result.key.method == Method::Quintiles)
            .then(|| result.quintile_cut_offs.to_vec()),
        band_cut_offs: (result.key.method == Method::ZBands).then(|| {
            let mut cuts: Vec<f64> = BAND_CUT_OFFS.iter().rev().map(|c| -c).collect();
            cuts.extend(BAND_CUT_OFFS);
            cuts
        }),
        description: "Each indicator's values across the level's areas are standardised \
            (z = (value - mean) / population standard deviation, negated where lower is better); \
            a domain score is the mean z of an area's indicators in the domain; the score is \
            the mean of the area's domain scores."
            .to_owned(),
    }
}

/// A page of the index, ordered by rank, with the method's parameters.
#[derive(SimpleObject)]
pub struct IndexConnection {
    /// The areas of this page, each with its cursor.
    pub edges: Vec<Edge<IndexEntry>>,
    /// The areas of this page.
    pub nodes: Vec<IndexEntry>,
    /// Whether more areas follow, and the cursors to continue from.
    pub page_info: PageInfo,
    /// How many areas match, over all pages.
    pub total_count: u64,
    /// How the index was computed.
    pub method: IndexParameters,
}

/// The index of a key, computed once per request.
pub(crate) async fn index_of(ctx: &Context<'_>, key: IndexKey) -> ApiResult<Arc<IndexResult>> {
    load(ctx, key)
        .await?
        .ok_or_else(|| ApiError::Internal("index missing".into()))
}

/// An area's entry in the default index of its own level, by `method`.
pub(crate) async fn area_index(
    ctx: &Context<'_>,
    area: &Area,
    period: String,
    method: Method,
) -> ApiResult<Option<IndexEntry>> {
    let key = IndexKey {
        level: area.level,
        period,
        method,
        indicators: None,
    };
    let result = index_of(ctx, key).await?;
    Ok(result.entry_of(&area.code).map(|r| entry(&result, r)))
}

/// How many of an area's local authorities (with a score) are cold spots in the default
/// local-authority index of `period`.
pub(crate) async fn cold_spots(
    ctx: &Context<'_>,
    area: &Area,
    period: String,
) -> ApiResult<ColdSpots> {
    let authorities = load(ctx, AuthoritiesKey(area.code.clone()))
        .await?
        .unwrap_or_default();
    let key = IndexKey {
        level: AreaLevel::LocalAuthority,
        period: period.clone(),
        method: Method::Quintiles,
        indicators: None,
    };
    let result = index_of(ctx, key).await?;
    let count = index::cold_spot_count(&result, &authorities);
    Ok(ColdSpots {
        period,
        share: count.share(),
        cold_spots: count.cold,
        scored: count.scored,
        synthetic: result.synthetic(),
    })
}

/// The total values of an area, in one period or all.
pub(crate) async fn area_values(
    ctx: &Context<'_>,
    area: &str,
    period: Option<String>,
) -> ApiResult<Vec<IndicatorValueNode>> {
    Ok(load(
        ctx,
        AreaValuesKey {
            area: area.to_owned(),
            period,
        },
    )
    .await?
    .unwrap_or_default()
    .into_iter()
    .map(Into::into)
    .collect())
}

/// Indicator queries.
#[derive(Default)]
pub struct IndicatorQuery;

#[Object]
impl IndicatorQuery {
    /// The indicator with this code; `NOT_FOUND` when there is none.
    async fn indicator(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator's code.")] code: String,
    ) -> ApiResult<IndicatorNode> {
        Ok(IndicatorNode(
            indicator_service::find(database(ctx)?, &code).await?,
        ))
    }

    /// Every indicator, or those of one domain, by code (at most 200).
    #[graphql(complexity = "cost::list(cost::INDICATORS, child_complexity)")]
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only indicators of this domain, for example `school`.")] domain: Option<
            String,
        >,
    ) -> ApiResult<Vec<IndicatorNode>> {
        let all = indicator_service::all(database(ctx)?, domain.as_deref())
            .await?
            .into_iter()
            .map(IndicatorNode)
            .collect();
        cost::within(all, cost::INDICATORS, "indicators", "; pass `domain`")
    }

    /// The values of one indicator in one period, by area code.
    #[graphql(complexity = "map_list_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn indicator_values(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The indicator's code.")] indicator: String,
        #[graphql(desc = "The period. Default: the indicator's latest period.")] period: Option<
            String,
        >,
        #[graphql(desc = "Only areas of this level.")] level: Option<AreaLevelInput>,
        #[graphql(desc = "Only areas lying within the area with this code.")] parent: Option<
            String,
        >,
        #[graphql(
            desc = "The breakdown, as `type=value` pairs joined by `;` in any order. Default: the total."
        )]
        breakdown: Option<String>,
        #[graphql(
            desc = "How many values to return: 0 to 500 (enough for every local authority), default 20."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the values after this cursor (from `pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Connection<IndicatorValueNode>> {
        let page = page_request_up_to(first, after, MAX_MAP_PAGE_SIZE)?;
        let query = ValuesQuery {
            indicator: &indicator,
            period,
            level: level.map(Into::into),
            parent: parent.as_deref(),
            breakdown: breakdown.as_deref(),
        };
        let key = |v: &Value| v.value.area_code.clone();
        Ok(
            match indicator_service::values_page(database(ctx)?, query, &page).await? {
                Some((items, total)) => {
                    connection(items, total, page.after.is_some(), key, Into::into)
                }
                None => connection(Default::default(), 0, false, key, Into::into),
            },
        )
    }

    /// The social mobility index: every area of `level` scored from its indicators in
    /// `period` and ordered by rank (best first), with the method's parameters.
    #[graphql(complexity = "map_list_complexity(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn social_mobility_index(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "AreaLevelInput::LocalAuthority",
            desc = "The level whose areas are scored against each other."
        )]
        level: AreaLevelInput,
        #[graphql(desc = "The period, for example `2017`.")] period: String,
        #[graphql(
            desc = "Only list areas within the area with this code (ranks stay those of the whole level)."
        )]
        parent: Option<String>,
        #[graphql(desc = "Only list areas with this classification.")] classification: Option<
            ClassificationOutput,
        >,
        #[graphql(
            default_with = "IndexMethodInput::Quintiles",
            desc = "How areas are grouped."
        )]
        method: IndexMethodInput,
        #[graphql(
            desc = "The indicator codes to use. Default: every indicator with values at this level and period."
        )]
        indicators: Option<Vec<String>>,
        #[graphql(
            desc = "How many areas to return: 0 to 500 (enough for every local authority), default 20."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return the areas after this cursor (from `pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<IndexConnection> {
        let page = page_request_up_to(first, after, MAX_MAP_PAGE_SIZE)?;
        let db = database(ctx)?;
        if let Some(codes) = &indicators {
            index::check_indicators(db, codes).await?;
        }
        let level: AreaLevel = level.into();
        let listed = match parent {
            Some(code) => Some(index::listed_within(db, level, &code).await?),
            None => None,
        };
        let key = IndexKey {
            level,
            period,
            method: method.into(),
            indicators: indicators.map(|mut c| {
                c.sort();
                c.dedup();
                c
            }),
        };
        let result = index_of(ctx, key).await?;
        let had_cursor = page.after.is_some();
        let (selected, total) = index::select(
            &result,
            listed.as_deref(),
            classification.map(Into::into),
            &page,
        )?;
        let page = connection(
            selected,
            total,
            had_cursor,
            |r: &&Ranked| r.area.clone(),
            |r| entry(&result, r),
        );
        Ok(IndexConnection {
            edges: page.edges,
            nodes: page.nodes,
            page_info: page.page_info,
            total_count: page.total_count,
            method: parameters(&result),
        })
    }
}
