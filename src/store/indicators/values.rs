//! Indicators and their values: definitions and values written, and read back by code,
//! period, area and page.

use std::collections::BTreeMap;

use entity::{area, indicator, indicator_value};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::domain::geography::AreaLevel;
use crate::store::StoreError;
use crate::store::areas::{AreaFilter, Page, codes_matching};

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

/// Deletes every value of some indicators (their definitions stay).
pub async fn delete_values(
    db: &impl ConnectionTrait,
    indicator_ids: &[i32],
) -> Result<(), StoreError> {
    indicator_value::Entity::delete_many()
        .filter(indicator_value::Column::IndicatorId.is_in(indicator_ids.iter().copied()))
        .exec(db)
        .await?;
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
pub(super) fn totals_condition(
    indicator_ids: &[i32],
    period: &str,
    areas: &AreaFilter,
) -> Condition {
    let inside = codes_matching(areas);
    Condition::all()
        .add(indicator_value::Column::IndicatorId.is_in(indicator_ids.iter().copied()))
        .add(indicator_value::Column::Period.eq(period))
        .add(indicator_value::Column::Breakdown.eq(""))
        .add(indicator_value::Column::AreaCode.in_subquery(inside))
}

/// The distinct non-empty values of `column` among each of some indicators' values, in
/// order, in one statement.
async fn distinct_by_indicator(
    db: &impl ConnectionTrait,
    indicator_ids: &[i32],
    column: indicator_value::Column,
) -> Result<BTreeMap<i32, Vec<String>>, StoreError> {
    let rows: Vec<(i32, String)> = indicator_value::Entity::find()
        .select_only()
        .column(indicator_value::Column::IndicatorId)
        .column(column)
        .distinct()
        .filter(indicator_value::Column::IndicatorId.is_in(indicator_ids.iter().copied()))
        .filter(column.ne(""))
        .order_by_asc(indicator_value::Column::IndicatorId)
        .order_by_asc(column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(crate::store::grouped(rows))
}

/// The periods each of some indicators has values for, in order, in one statement.
pub async fn periods(
    db: &impl ConnectionTrait,
    indicator_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<String>>, StoreError> {
    distinct_by_indicator(db, indicator_ids, indicator_value::Column::Period).await
}

/// The breakdowns each of some indicators has values for, in order, the total (`""`) left
/// out, in one statement.
pub async fn breakdowns(
    db: &impl ConnectionTrait,
    indicator_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<String>>, StoreError> {
    distinct_by_indicator(db, indicator_ids, indicator_value::Column::Breakdown).await
}

/// The levels of the areas each of some indicators has values for, in one statement.
pub async fn levels(
    db: &impl ConnectionTrait,
    indicator_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<AreaLevel>>, StoreError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let query = Query::select()
        .distinct()
        .column((
            indicator_value::Entity,
            indicator_value::Column::IndicatorId,
        ))
        .column((area::Entity, area::Column::Level))
        .from(indicator_value::Entity)
        .inner_join(
            area::Entity,
            Expr::col((area::Entity, area::Column::Code))
                .equals((indicator_value::Entity, indicator_value::Column::AreaCode)),
        )
        .and_where(
            Expr::col((
                indicator_value::Entity,
                indicator_value::Column::IndicatorId,
            ))
            .is_in(indicator_ids.iter().copied()),
        )
        .to_owned();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?;
    let mut levels = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i32 = row.try_get_by_index(0)?;
        let level: String = row.try_get_by_index(1)?;
        let level = level
            .parse::<AreaLevel>()
            .map_err(|e| StoreError::Corrupt(format!("indicator {id}: {e}")))?;
        levels.push((id, level));
    }
    levels.sort();
    Ok(crate::store::grouped(levels))
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
