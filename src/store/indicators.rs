//! Queries over cold-spot indicators and their values, and the index's aggregates.
//!
//! The index's standardisation and domain means are `GROUP BY`s here; only the per-area
//! domain scores (a few hundred rows) reach Rust, where `domain::index` ranks them.

use std::collections::BTreeMap;

use entity::{indicator, indicator_value};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::StoreError;
use super::areas::{AreaFilter, Page, codes_matching};
use crate::domain::index::AreaScores;

/// An indicator's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// Code, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// What it measures.
    pub description: String,
    /// Unit of the values.
    pub unit: String,
    /// Domain (life stage or index domain).
    pub domain: String,
    /// Whether a higher value is better.
    pub higher_is_better: bool,
    /// Publisher.
    pub source: String,
    /// Licence.
    pub licence: String,
    /// True for invented demo values.
    pub synthetic: bool,
}

/// A stored indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Surrogate key.
    pub id: i32,
    /// Its definition.
    pub definition: Definition,
}

impl Indicator {
    /// Values in this unit are already standardised across areas (the Commission's
    /// composite z-scores) and are used as they are.
    pub fn is_standardised(&self) -> bool {
        self.definition.unit.eq_ignore_ascii_case("z-score")
    }
}

/// One value to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewValue {
    /// Area (primary code).
    pub area_code: String,
    /// Period label.
    pub period: String,
    /// Canonical breakdown; empty for the total.
    pub breakdown: String,
    /// The value.
    pub value: f64,
    /// Lower confidence bound.
    pub lower: Option<f64>,
    /// Upper confidence bound.
    pub upper: Option<f64>,
    /// Sample size.
    pub sample_size: Option<i64>,
    /// Note.
    pub note: Option<String>,
    /// The publisher's group for the area, as published.
    pub published_group: Option<String>,
}

/// A stored value.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The indicator's id.
    pub indicator_id: i32,
    /// The value's fields.
    pub value: NewValue,
}

fn to_indicator(row: indicator::Model) -> Indicator {
    Indicator {
        id: row.id,
        definition: Definition {
            code: row.code,
            name: row.name,
            description: row.description,
            unit: row.unit,
            domain: row.domain,
            higher_is_better: row.higher_is_better,
            source: row.source,
            licence: row.licence,
            synthetic: row.synthetic,
        },
    }
}

fn to_value(row: indicator_value::Model) -> Value {
    Value {
        indicator_id: row.indicator_id,
        value: NewValue {
            area_code: row.area_code,
            period: row.period,
            breakdown: row.breakdown,
            value: row.value,
            lower: row.lower,
            upper: row.upper,
            sample_size: row.sample_size,
            note: row.note,
            published_group: row.published_group,
        },
    }
}

/// Writes definitions, replacing those with the same code; returns every code's id.
pub async fn upsert_definitions(
    db: &impl ConnectionTrait,
    definitions: &[Definition],
) -> Result<BTreeMap<String, i32>, StoreError> {
    use indicator::Column as C;
    for d in definitions {
        let row = indicator::ActiveModel {
            code: Set(d.code.clone()),
            name: Set(d.name.clone()),
            description: Set(d.description.clone()),
            unit: Set(d.unit.clone()),
            domain: Set(d.domain.clone()),
            higher_is_better: Set(d.higher_is_better),
            source: Set(d.source.clone()),
            licence: Set(d.licence.clone()),
            synthetic: Set(d.synthetic),
            ..Default::default()
        };
        indicator::Entity::insert(row)
            .on_conflict(
                OnConflict::column(C::Code)
                    .update_columns([
                        C::Name,
                        C::Description,
                        C::Unit,
                        C::Domain,
                        C::HigherIsBetter,
                        C::Source,
                        C::Licence,
                        C::Synthetic,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(all(db, None)
        .await?
        .into_iter()
        .map(|i| (i.definition.code, i.id))
        .collect())
}

/// Values per insert statement: 11 columns each stays under SQLite's parameter limit.
const VALUES_PER_INSERT: usize = 1000;

/// Writes values of one indicator; a value with the same (area, period, breakdown) is
/// replaced.
pub async fn upsert_values(
    db: &impl ConnectionTrait,
    indicator_id: i32,
    values: &[NewValue],
) -> Result<(), StoreError> {
    use indicator_value::Column as C;
    for chunk in values.chunks(VALUES_PER_INSERT) {
        let rows = chunk.iter().map(|v| indicator_value::ActiveModel {
            indicator_id: Set(indicator_id),
            area_code: Set(v.area_code.clone()),
            period: Set(v.period.clone()),
            breakdown: Set(v.breakdown.clone()),
            value: Set(v.value),
            lower: Set(v.lower),
            upper: Set(v.upper),
            sample_size: Set(v.sample_size),
            note: Set(v.note.clone()),
            published_group: Set(v.published_group.clone()),
            ..Default::default()
        });
        indicator_value::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::IndicatorId, C::Period, C::Breakdown, C::AreaCode])
                    .update_columns([
                        C::Value,
                        C::Lower,
                        C::Upper,
                        C::SampleSize,
                        C::Note,
                        C::PublishedGroup,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Whether any indicator is stored that is synthetic (demo data) or, with `false`, published.
pub async fn any(db: &impl ConnectionTrait, synthetic: bool) -> Result<bool, StoreError> {
    Ok(indicator::Entity::find()
        .filter(indicator::Column::Synthetic.eq(synthetic))
        .count(db)
        .await?
        > 0)
}

/// Every indicator, or those of one domain, by code.
pub async fn all(
    db: &impl ConnectionTrait,
    domain: Option<&str>,
) -> Result<Vec<Indicator>, StoreError> {
    let mut query = indicator::Entity::find();
    if let Some(domain) = domain {
        query = query.filter(indicator::Column::Domain.eq(domain));
    }
    Ok(query
        .order_by_asc(indicator::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(to_indicator)
        .collect())
}

/// Indicators by id, in no particular order.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i32]) -> Result<Vec<Indicator>, StoreError> {
    Ok(indicator::Entity::find()
        .filter(indicator::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(to_indicator)
        .collect())
}

/// Total values (no breakdown) of some indicators in one period, for areas of a filter.
fn totals_condition(indicator_ids: &[i32], period: &str, areas: &AreaFilter) -> Condition {
    let inside = codes_matching(areas);
    Condition::all()
        .add(indicator_value::Column::IndicatorId.is_in(indicator_ids.iter().copied()))
        .add(indicator_value::Column::Period.eq(period))
        .add(indicator_value::Column::Breakdown.eq(""))
        .add(indicator_value::Column::AreaCode.in_subquery(inside))
}

/// The periods each of some indicators has values for, in order, in one statement.
pub async fn periods(
    db: &impl ConnectionTrait,
    indicator_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<String>>, StoreError> {
    let rows: Vec<(i32, String)> = indicator_value::Entity::find()
        .select_only()
        .column(indicator_value::Column::IndicatorId)
        .column(indicator_value::Column::Period)
        .distinct()
        .filter(indicator_value::Column::IndicatorId.is_in(indicator_ids.iter().copied()))
        .order_by_asc(indicator_value::Column::IndicatorId)
        .order_by_asc(indicator_value::Column::Period)
        .into_tuple()
        .all(db)
        .await?;
    Ok(super::grouped(rows))
}

/// One page of an indicator's values in one period and breakdown, for the areas of a
/// filter, ordered by area code; and how many there are.
pub async fn values_page(
    db: &impl ConnectionTrait,
    indicator_id: i32,
    period: &str,
    breakdown: &str,
    areas: &AreaFilter,
    after: Option<&str>,
    first: u64,
) -> Result<(Page<Value>, u64), StoreError> {
    let inside = codes_matching(areas);
    let condition = Condition::all()
        .add(indicator_value::Column::IndicatorId.eq(indicator_id))
        .add(indicator_value::Column::Period.eq(period))
        .add(indicator_value::Column::Breakdown.eq(breakdown))
        .add(indicator_value::Column::AreaCode.in_subquery(inside));
    let total = indicator_value::Entity::find()
        .filter(condition.clone())
        .count(db)
        .await?;
    let mut query = indicator_value::Entity::find().filter(condition);
    if let Some(after) = after {
        query = query.filter(indicator_value::Column::AreaCode.gt(after));
    }
    let mut rows: Vec<Value> = query
        .order_by_asc(indicator_value::Column::AreaCode)
        .limit(first + 1)
        .all(db)
        .await?
        .into_iter()
        .map(to_value)
        .collect();
    let first = usize::try_from(first).unwrap_or(usize::MAX);
    let has_next = rows.len() > first;
    rows.truncate(first);
    Ok((
        Page {
            items: rows,
            has_next,
        },
        total,
    ))
}

/// Total values of some areas, in one period or every period, by area then indicator.
pub async fn area_totals(
    db: &impl ConnectionTrait,
    area_codes: &[String],
    period: Option<&str>,
) -> Result<Vec<Value>, StoreError> {
    let mut query = indicator_value::Entity::find()
        .filter(indicator_value::Column::AreaCode.is_in(area_codes.iter().map(String::as_str)))
        .filter(indicator_value::Column::Breakdown.eq(""));
    if let Some(period) = period {
        query = query.filter(indicator_value::Column::Period.eq(period));
    }
    Ok(query
        .order_by_asc(indicator_value::Column::AreaCode)
        .order_by_asc(indicator_value::Column::IndicatorId)
        .order_by_asc(indicator_value::Column::Period)
        .all(db)
        .await?
        .into_iter()
        .map(to_value)
        .collect())
}

/// The indicators with total values for areas of a filter in one period (the index's
/// default set), by code.
pub async fn with_totals(
    db: &impl ConnectionTrait,
    period: &str,
    areas: &AreaFilter,
) -> Result<Vec<Indicator>, StoreError> {
    let inside = codes_matching(areas);
    let ids: Vec<i32> = indicator_value::Entity::find()
        .select_only()
        .column(indicator_value::Column::IndicatorId)
        .distinct()
        .filter(indicator_value::Column::Period.eq(period))
        .filter(indicator_value::Column::Breakdown.eq(""))
        .filter(indicator_value::Column::AreaCode.in_subquery(inside))
        .into_tuple::<i32>()
        .all(db)
        .await?;
    let mut indicators = by_ids(db, &ids).await?;
    indicators.sort_by(|a, b| a.definition.code.cmp(&b.definition.code));
    Ok(indicators)
}

/// How one indicator's values are standardised: `z = (value - mean) * factor`, where the
/// factor is ±1 / (population standard deviation), negative when lower is better.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standardisation {
    /// The indicator's id.
    pub indicator_id: i32,
    /// Areas with a value.
    pub areas: u64,
    /// Their mean.
    pub mean: f64,
    /// Their population standard deviation.
    pub sd: f64,
    /// The multiplier turning `value - mean` into a direction-aligned z-score.
    pub factor: f64,
}

/// `CASE indicator_id WHEN id THEN f(indicator) ... END`.
fn per_indicator<T>(items: &[T], id: impl Fn(&T) -> i32, then: impl Fn(&T) -> Expr) -> Expr {
    let mut iter = items.iter();
    let Some(first) = iter.next() else {
        return Expr::null();
    };
    let column = || Expr::col(indicator_value::Column::IndicatorId);
    let mut case = Expr::case(column().eq(id(first)), then(first));
    for item in iter {
        case = case.case(column().eq(id(item)), then(item));
    }
    case.finally(Expr::null()).into()
}

/// Means and population standard deviations of each indicator over the areas of a filter in
/// one period (two `GROUP BY`s: the mean first, then the mean squared deviation from it, which
/// stays exact where `AVG(x*x) - AVG(x)^2` would cancel). Indicators whose values do not vary
/// cannot be standardised and are left out.
pub async fn standardisations(
    db: &impl ConnectionTrait,
    indicators: &[Indicator],
    period: &str,
    areas: &AreaFilter,
) -> Result<Vec<Standardisation>, StoreError> {
    let ids: Vec<i32> = indicators.iter().map(|i| i.id).collect();
    let condition = totals_condition(&ids, period, areas);
    let mut means = Query::select();
    means
        .column(indicator_value::Column::IndicatorId)
        .expr_as(
            Func::count(Expr::col(indicator_value::Column::Value)),
            Alias::new("n"),
        )
        .expr_as(
            Func::avg(Expr::col(indicator_value::Column::Value)),
            Alias::new("mean"),
        )
        .from(indicator_value::Entity)
        .cond_where(condition.clone())
        .group_by_col(indicator_value::Column::IndicatorId);
    let mut stats: Vec<(i32, u64, f64)> = Vec::new();
    for row in db.query_all(&means).await? {
        let id: i32 = row.try_get("", "indicator_id")?;
        let n: i64 = row.try_get("", "n")?;
        let mean: Option<f64> = row.try_get("", "mean")?;
        if let Some(mean) = mean {
            stats.push((id, u64::try_from(n).unwrap_or(0), mean));
        }
    }
    if stats.is_empty() {
        return Ok(Vec::new());
    }
    let deviation = Expr::col(indicator_value::Column::Value).sub(per_indicator(
        &stats,
        |s| s.0,
        |s| Expr::val(s.2),
    ));
    let mut variances = Query::select();
    variances
        .column(indicator_value::Column::IndicatorId)
        .expr_as(
            Func::avg(deviation.clone().mul(deviation)),
            Alias::new("variance"),
        )
        .from(indicator_value::Entity)
        .cond_where(condition)
        .group_by_col(indicator_value::Column::IndicatorId);
    let mut variance: BTreeMap<i32, f64> = BTreeMap::new();
    for row in db.query_all(&variances).await? {
        let id: i32 = row.try_get("", "indicator_id")?;
        let v: Option<f64> = row.try_get("", "variance")?;
        if let Some(v) = v {
            variance.insert(id, v);
        }
    }
    Ok(stats
        .into_iter()
        .filter_map(|(id, n, mean)| {
            let sd = variance.get(&id)?.sqrt();
            let indicator = indicators.iter().find(|i| i.id == id)?;
            let sign = if indicator.definition.higher_is_better {
                1.0
            } else {
                -1.0
            };
            if indicator.is_standardised() {
                return Some(Standardisation {
                    indicator_id: id,
                    areas: n,
                    mean: 0.0,
                    sd: 1.0,
                    factor: sign,
                });
            }
            (sd > 0.0 && sd.is_finite()).then(|| Standardisation {
                indicator_id: id,
                areas: n,
                mean,
                sd,
                factor: sign / sd,
            })
        })
        .collect())
}

/// Each area's domain scores: the mean standardised value of its indicators in each domain,
/// in one `GROUP BY` (area, domain).
pub async fn domain_scores(
    db: &impl ConnectionTrait,
    indicators: &[Indicator],
    standardisations: &[Standardisation],
    period: &str,
    areas: &AreaFilter,
) -> Result<Vec<AreaScores>, StoreError> {
    if standardisations.is_empty() {
        return Ok(Vec::new());
    }
    let domain_of = |id: i32| {
        indicators
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.definition.domain.clone())
            .unwrap_or_default()
    };
    let ids: Vec<i32> = standardisations.iter().map(|s| s.indicator_id).collect();
    let domain = per_indicator(
        standardisations,
        |s| s.indicator_id,
        |s| Expr::val(domain_of(s.indicator_id)),
    );
    let z = per_indicator(
        standardisations,
        |s| s.indicator_id,
        |s| {
            Expr::col(indicator_value::Column::Value)
                .sub(s.mean)
                .mul(s.factor)
        },
    );
    let mut select: SelectStatement = Query::select();
    select
        .column(indicator_value::Column::AreaCode)
        .expr_as(domain, Alias::new("domain"))
        .expr_as(Func::avg(z), Alias::new("score"))
        .expr_as(
            Func::count(Expr::col(indicator_value::Column::Value)),
            Alias::new("n"),
        )
        .from(indicator_value::Entity)
        .cond_where(totals_condition(&ids, period, areas))
        .group_by_col(indicator_value::Column::AreaCode)
        .group_by_col(Alias::new("domain"));
    let mut by_area: BTreeMap<String, AreaScores> = BTreeMap::new();
    for row in db.query_all(&select).await? {
        let area: String = row.try_get("", "area_code")?;
        let domain: String = row.try_get("", "domain")?;
        let score: Option<f64> = row.try_get("", "score")?;
        let n: i64 = row.try_get("", "n")?;
        let entry = by_area.entry(area.clone()).or_insert_with(|| AreaScores {
            area,
            domains: Vec::new(),
            indicators_used: 0,
        });
        if let Some(score) = score {
            entry.domains.push((domain, score));
            entry.indicators_used += u32::try_from(n).unwrap_or(0);
        }
    }
    Ok(by_area
        .into_values()
        .map(|mut a| {
            a.domains.sort_by(|x, y| x.0.cmp(&y.0));
            a
        })
        .collect())
}

/// The published group of each area's total value of one indicator in one period.
pub async fn published_groups(
    db: &impl ConnectionTrait,
    indicator_id: i32,
    period: &str,
) -> Result<BTreeMap<String, String>, StoreError> {
    let rows: Vec<(String, Option<String>)> = indicator_value::Entity::find()
        .select_only()
        .column(indicator_value::Column::AreaCode)
        .column(indicator_value::Column::PublishedGroup)
        .filter(indicator_value::Column::IndicatorId.eq(indicator_id))
        .filter(indicator_value::Column::Period.eq(period))
        .filter(indicator_value::Column::Breakdown.eq(""))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(area, group)| Some((area, group?)))
        .collect())
}

/// Indicators by code, in no particular order; unknown codes are left out.
pub async fn by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<Indicator>, StoreError> {
    Ok(indicator::Entity::find()
        .filter(indicator::Column::Code.is_in(codes.iter().map(String::as_str)))
        .all(db)
        .await?
        .into_iter()
        .map(to_indicator)
        .collect())
}

/// The latest period with total values for areas of a filter.
pub async fn latest_period(
    db: &impl ConnectionTrait,
    areas: &AreaFilter,
) -> Result<Option<String>, StoreError> {
    let inside = codes_matching(areas);
    let latest: Option<Option<String>> = indicator_value::Entity::find()
        .select_only()
        .column_as(indicator_value::Column::Period.max(), "latest")
        .filter(indicator_value::Column::Breakdown.eq(""))
        .filter(indicator_value::Column::AreaCode.in_subquery(inside))
        .into_tuple::<Option<String>>()
        .one(db)
        .await?;
    Ok(latest.flatten())
}
