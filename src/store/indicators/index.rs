//! The index's aggregates: each indicator's mean and standard deviation over a level's areas
//! in a period, every area's domain scores, and the groups a publisher gave the areas.
//! `GROUP BY`s here; only the per-area domain scores (a few hundred rows) reach Rust, where
//! `domain::index` ranks them.

use std::collections::BTreeMap;

use entity::indicator_value;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::values::{Indicator, totals_condition};
use crate::domain::index::AreaScores;
use crate::store::StoreError;
use crate::store::areas::AreaFilter;

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
