//! Geography queries: areas of the UK by code, level and place in the hierarchy.

use async_graphql::{Context, Object, SimpleObject};

use super::context::{database, load, load_list};
use super::cost;
use super::error::{ApiError, ApiResult};
use super::indicators::{self, ColdSpots, IndexEntry, IndicatorValueNode};
use super::loaders::{AltCodesKey, ChildrenKey, WithinKey};
use super::pagination::{Connection, Paged, connection, list_complexity, page_request};
use super::types::{AreaLevelInput, AreaNode, IndexMethodInput};
use crate::domain::geography::Area;
use crate::service::geography;
use crate::store::areas::{AltCode, ChildPosition};

/// Another code an area is known by.
#[derive(SimpleObject)]
pub struct AlternativeCode {
    /// The code, for example `TLI` for London.
    pub code: String,
    /// The coding scheme it belongs to, for example `ITL1`.
    pub scheme: String,
}

impl Paged for AreaNode {
    const CONNECTION: &'static str = "AreaConnection";
    const EDGE: &'static str = "AreaEdge";
}

/// The cursor key of a child: its line and code, as `line:code`.
fn child_cursor(area: &Area) -> String {
    let position = ChildPosition::of(area);
    format!("{}:{}", position.line, position.code)
}

fn child_position(cursor: &str) -> Result<ChildPosition, ApiError> {
    cursor
        .split_once(':')
        .and_then(|(line, code)| {
            Some(ChildPosition {
                line: line.parse().ok()?,
                code: code.to_owned(),
            })
        })
        .ok_or_else(|| {
            ApiError::BadUserInput("`after` is not a cursor from this `children` list".into())
        })
}

/// An area of the UK: the UK itself, a country, a region, an ITL2 or ITL3 area or a local
/// authority district. Source: Office for National Statistics geography (OGL v3.0).
#[Object(name = "Area")]
impl AreaNode {
    /// The area's primary code: its GSS code (for example `E12000007`), or its ITL code for
    /// ITL2 and ITL3 areas, which have no GSS code.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The area's official name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The area's own level. (Wales, Scotland and Northern Ireland are countries that also
    /// play the region's part; see `AreaLevel.REGION`.)
    async fn level(&self) -> AreaLevelInput {
        self.0.level.into()
    }

    /// Other codes the area is known by (an English region's ITL1 code, say). `area(code:)`
    /// finds an area by any of them.
    #[graphql(complexity = "cost::list(cost::ALTERNATIVE_CODES, child_complexity)")]
    async fn alternative_codes(&self, ctx: &Context<'_>) -> ApiResult<Vec<AlternativeCode>> {
        let node = |c: AltCode| AlternativeCode {
            code: c.code,
            scheme: c.scheme,
        };
        let key = AltCodesKey(self.0.code.clone());
        load_list(
            ctx,
            key,
            cost::ALTERNATIVE_CODES,
            "Area.alternativeCodes",
            node,
        )
        .await
    }

    /// The area's indicator values (totals, no breakdown), in one period or every period,
    /// by indicator. At most 200 values in one period, 1,000 over every period (pass
    /// `period` when an area has more).
    #[graphql(
        complexity = "cost::list(if period.is_some() { cost::AREA_VALUES_IN_PERIOD } else { cost::AREA_VALUES }, child_complexity)"
    )]
    async fn indicators(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only values of this period. Default: every period.")] period: Option<
            String,
        >,
    ) -> ApiResult<Vec<IndicatorValueNode>> {
        let bound = if period.is_some() {
            cost::AREA_VALUES_IN_PERIOD
        } else {
            cost::AREA_VALUES
        };
        let values = indicators::area_values(ctx, &self.0.code, period).await?;
        cost::within(values, bound, "Area.indicators", "; pass `period`")
    }

    /// The area's place in the social mobility index of its own level, from every indicator
    /// with values at that level and period; null when it has no score.
    async fn index(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period, for example `2017`.")] period: String,
        #[graphql(
            default_with = "IndexMethodInput::Quintiles",
            desc = "How areas are grouped."
        )]
        method: IndexMethodInput,
    ) -> ApiResult<Option<IndexEntry>> {
        indicators::area_index(ctx, &self.0, period, method.into()).await
    }

    /// The share (a fraction, 3 decimals) of the local authorities within this area that are
    /// cold spots in the local-authority index for `period` (QUINTILES, every indicator),
    /// among those with a score; null when none has one.
    #[graphql(
        deprecation = "It does not say whether the index behind it is synthetic: use `coldSpots { share synthetic }`."
    )]
    async fn cold_spot_share(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period, for example `2017`.")] period: String,
    ) -> ApiResult<Option<f64>> {
        Ok(indicators::cold_spots(ctx, &self.0, period).await?.share)
    }

    /// How many of the local authorities within this area are cold spots in the
    /// local-authority index for `period` (QUINTILES, every indicator), of those with a
    /// score, and whether that index is synthetic.
    async fn cold_spots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period, for example `2017`.")] period: String,
    ) -> ApiResult<ColdSpots> {
        indicators::cold_spots(ctx, &self.0, period).await
    }

    /// The next area up: for a local authority its region (or its country outside England),
    /// for a region its country, for an ITL3 area its ITL2 area, for an ITL2 area its ITL1
    /// area (region or country). Null for the United Kingdom.
    async fn parent(&self, ctx: &Context<'_>) -> ApiResult<Option<AreaNode>> {
        let Some(parent) = &self.0.parent else {
            return Ok(None);
        };
        Ok(load(ctx, parent.clone()).await?.map(AreaNode))
    }

    /// The areas whose parent this area is: the administrative line first (a region's local
    /// authorities), then the ITL areas (its ITL2 areas), each by code. `level` keeps one
    /// level only.
    #[graphql(complexity = "list_complexity(first, child_complexity)")]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only children of this level.")] level: Option<AreaLevelInput>,
        #[graphql(desc = "How many children to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Return the children after this cursor (from `pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Connection<AreaNode>> {
        let page = page_request(first, after)?;
        let had_cursor = page.after.is_some();
        let after = page
            .after
            .map(|cursor| child_position(&cursor))
            .transpose()?;
        let key = ChildrenKey {
            parent: self.0.code.clone(),
            level: level.map(Into::into),
            after,
            first: page.first,
        };
        let (page, total) = load(ctx, key).await?.unwrap_or_default();
        Ok(connection(page, total, had_cursor, child_cursor, AreaNode))
    }

    /// The area of the given level that this area lies in: for a local authority its ITL3
    /// and ITL2 areas, region, country and the UK. The area itself when it is of that level
    /// (Wales within REGION is Wales); null when it lies in none (a region within ITL2).
    async fn within(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The level of the containing area.")] level: AreaLevelInput,
    ) -> ApiResult<Option<AreaNode>> {
        Ok(load(
            ctx,
            WithinKey {
                area: self.0.code.clone(),
                level: level.into(),
            },
        )
        .await?
        .map(AreaNode))
    }
}

/// Geography queries.
#[derive(Default)]
pub struct GeographyQuery;

#[Object]
impl GeographyQuery {
    /// The area known by `code` (its GSS code, its ITL code or another alternative code;
    /// case does not matter), or null when no area has that code.
    async fn area(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Any of the area's codes, for example `E09000033` or `TLI`.")]
        code: String,
    ) -> ApiResult<Option<AreaNode>> {
        Ok(geography::find(database(ctx)?, &code).await?.map(AreaNode))
    }

    /// Areas, ordered by code, optionally of one level, inside one area, or matching a name.
    #[graphql(complexity = "list_complexity(first, child_complexity)")]
    async fn areas(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only areas of this level (REGION includes Wales, Scotland and \
                          Northern Ireland, which play the region's part)."
        )]
        level: Option<AreaLevelInput>,
        #[graphql(
            desc = "Only areas lying within the area with this code, at any depth \
                          (`children` gives direct children only)."
        )]
        parent: Option<String>,
        #[graphql(desc = "Only areas whose name contains this text, ignoring case \
                          (at most 100 characters).")]
        name_contains: Option<String>,
        #[graphql(desc = "How many areas to return: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Return the areas after this cursor (from `pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Connection<AreaNode>> {
        let page = page_request(first, after)?;
        let level = level.map(Into::into);
        let (items, total) = geography::page(
            database(ctx)?,
            level,
            parent.as_deref(),
            name_contains,
            &page,
        )
        .await?;
        let had_cursor = page.after.is_some();
        Ok(connection(
            items,
            total,
            had_cursor,
            |a: &Area| a.code.clone(),
            AreaNode,
        ))
    }
}
