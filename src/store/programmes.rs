//! Queries over programmes, their metrics and figures; sums are `GROUP BY`s.

use entity::{area, area_within, programme, programme_figure, programme_metric};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::StoreError;
use crate::domain::geography::AreaLevel;
use crate::domain::programme::{FigureKind, Sums};

/// A stored programme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    /// Surrogate key.
    pub id: i32,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Stage.
    pub stage: String,
    /// Owner's code.
    pub owner_code: String,
    /// Owner's name.
    pub owner_name: String,
    /// True for invented demo programmes.
    pub synthetic: bool,
    /// Who published its figures; empty when not stated.
    pub source: String,
    /// Their licence; empty when not stated.
    pub licence: String,
}

/// A stored metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    /// Surrogate key.
    pub id: i32,
    /// The programme.
    pub programme_id: i32,
    /// Code within the programme.
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Numerator metric code (percentages).
    pub numerator: Option<String>,
    /// Denominator metric code (percentages).
    pub denominator: Option<String>,
}

/// A figure to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFigure {
    /// Period.
    pub period: String,
    /// Actual or target.
    pub kind: FigureKind,
    /// Value.
    pub value: f64,
    /// Area (primary code), empty for programme-wide.
    pub area_code: String,
    /// Note or source.
    pub note: Option<String>,
    /// Why the figure is uncertain, where its source is ambiguous about it.
    pub caveat: Option<String>,
}

fn to_programme(m: programme::Model) -> Programme {
    Programme {
        id: m.id,
        code: m.code,
        name: m.name,
        description: m.description,
        stage: m.stage,
        owner_code: m.owner_code,
        owner_name: m.owner_name,
        synthetic: m.synthetic,
        source: m.source,
        licence: m.licence,
    }
}

fn to_metric(m: programme_metric::Model) -> Metric {
    Metric {
        id: m.id,
        programme_id: m.programme_id,
        code: m.code,
        name: m.name,
        unit: m.unit,
        numerator: m.numerator,
        denominator: m.denominator,
    }
}

/// Writes a programme: a stored code is updated with what is given, a new one created with
/// its code standing in for anything not given. Returns the stored programme.
pub async fn upsert_programme(
    db: &impl ConnectionTrait,
    code: &str,
    given: &Programme,
) -> Result<Programme, StoreError> {
    let existing = programme::Entity::find()
        .filter(programme::Column::Code.eq(code))
        .one(db)
        .await?;
    let pick = |new: &str, old: Option<&str>| -> String {
        if new.is_empty() {
            old.unwrap_or_default().to_owned()
        } else {
            new.to_owned()
        }
    };
    let model = match existing {
        Some(old) => {
            let mut row: programme::ActiveModel = old.clone().into();
            row.name = Set(pick(&given.name, Some(&old.name)));
            row.description = Set(pick(&given.description, Some(&old.description)));
            row.stage = Set(pick(&given.stage, Some(&old.stage)));
            row.owner_code = Set(pick(&given.owner_code, Some(&old.owner_code)));
            row.owner_name = Set(pick(&given.owner_name, Some(&old.owner_name)));
            row.source = Set(pick(&given.source, Some(&old.source)));
            row.licence = Set(pick(&given.licence, Some(&old.licence)));
            row.update(db).await?
        }
        None => {
            programme::ActiveModel {
                code: Set(code.to_owned()),
                name: Set(pick(&given.name, Some(code))),
                description: Set(given.description.clone()),
                stage: Set(given.stage.clone()),
                owner_code: Set(given.owner_code.clone()),
                owner_name: Set(pick(&given.owner_name, Some(&given.owner_code))),
                synthetic: Set(given.synthetic),
                source: Set(given.source.clone()),
                licence: Set(given.licence.clone()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(to_programme(model))
}

/// Writes a metric of a programme (a stored code is updated). Returns the stored metric.
pub async fn upsert_metric(
    db: &impl ConnectionTrait,
    metric: &Metric,
) -> Result<Metric, StoreError> {
    let existing = programme_metric::Entity::find()
        .filter(programme_metric::Column::ProgrammeId.eq(metric.programme_id))
        .filter(programme_metric::Column::Code.eq(metric.code.as_str()))
        .one(db)
        .await?;
    let model = match existing {
        Some(old) => {
            let mut row: programme_metric::ActiveModel = old.clone().into();
            if !metric.name.is_empty() {
                row.name = Set(metric.name.clone());
            }
            row.unit = Set(metric.unit.clone());
            if metric.numerator.is_some() || metric.denominator.is_some() {
                row.numerator = Set(metric.numerator.clone());
                row.denominator = Set(metric.denominator.clone());
            }
            row.update(db).await?
        }
        None => {
            programme_metric::ActiveModel {
                programme_id: Set(metric.programme_id),
                code: Set(metric.code.clone()),
                name: Set(metric.name.clone()),
                unit: Set(metric.unit.clone()),
                numerator: Set(metric.numerator.clone()),
                denominator: Set(metric.denominator.clone()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(to_metric(model))
}

/// Writes figures of a metric; one with the same period, kind and area is replaced.
pub async fn upsert_figures(
    db: &impl ConnectionTrait,
    metric_id: i32,
    figures: &[NewFigure],
) -> Result<(), StoreError> {
    use programme_figure::Column as C;
    for chunk in figures.chunks(1000) {
        let rows = chunk.iter().map(|f| programme_figure::ActiveModel {
            metric_id: Set(metric_id),
            period: Set(f.period.clone()),
            kind: Set(f.kind.as_str().to_owned()),
            value: Set(f.value),
            area_code: Set(f.area_code.clone()),
            note: Set(f.note.clone()),
            caveat: Set(f.caveat.clone()),
            ..Default::default()
        });
        programme_figure::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::MetricId, C::Period, C::Kind, C::AreaCode])
                    .update_columns([C::Value, C::Note, C::Caveat])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Programmes, optionally of one stage or owner (code or name), by code.
pub async fn list(
    db: &impl ConnectionTrait,
    stage: Option<&str>,
    owner: Option<&str>,
) -> Result<Vec<Programme>, StoreError> {
    let mut query = programme::Entity::find();
    if let Some(stage) = stage {
        query = query.filter(programme::Column::Stage.eq(stage));
    }
    if let Some(owner) = owner {
        query = query.filter(
            Condition::any()
                .add(programme::Column::OwnerCode.eq(owner))
                .add(programme::Column::OwnerName.eq(owner)),
        );
    }
    Ok(query
        .order_by_asc(programme::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(to_programme)
        .collect())
}

/// A programme by code.
pub async fn by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<Programme>, StoreError> {
    Ok(programme::Entity::find()
        .filter(programme::Column::Code.eq(code))
        .one(db)
        .await?
        .map(to_programme))
}

/// Whether any published (not synthetic) programme is stored.
pub async fn any(db: &impl ConnectionTrait, synthetic: bool) -> Result<bool, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(programme::Entity::find()
        .filter(programme::Column::Synthetic.eq(synthetic))
        .count(db)
        .await?
        > 0)
}

/// The metrics of some programmes, by programme then code.
pub async fn metrics(
    db: &impl ConnectionTrait,
    programme_ids: &[i32],
) -> Result<Vec<Metric>, StoreError> {
    Ok(programme_metric::Entity::find()
        .filter(programme_metric::Column::ProgrammeId.is_in(programme_ids.iter().copied()))
        .order_by_asc(programme_metric::Column::ProgrammeId)
        .order_by_asc(programme_metric::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(to_metric)
        .collect())
}

/// Keeps the figures within `area` (its own and those of the areas inside it) when given, and
/// between the period labels `from` and `to` (inclusive) when given.
fn within_and_between(
    select: &mut sea_orm::sea_query::SelectStatement,
    area: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) {
    use programme_figure::Column as C;
    if let Some(area) = area {
        let inside = Query::select()
            .column(area_within::Column::AreaCode)
            .from(area_within::Entity)
            .and_where(area_within::Column::WithinCode.eq(area))
            .to_owned();
        select.and_where(Expr::col(C::AreaCode).in_subquery(inside));
    }
    if let Some(from) = from {
        select.and_where(Expr::col(C::Period).gte(from));
    }
    if let Some(to) = to {
        select.and_where(Expr::col(C::Period).lte(to));
    }
}

/// Sums of one metric's figures per period and kind, split into programme-wide figures
/// (`true`) and figures for areas (`false`).
pub type SumsByPeriod = Vec<(String, FigureKind, bool, Sums)>;

/// Sums of a metric's figures per period, kind and programme-wide-or-not, in one `GROUP BY`:
/// within `area` (its own figures and those of the areas inside it) when given, between
/// `from` and `to` (period labels, inclusive) when given.
pub async fn sums(
    db: &impl ConnectionTrait,
    metric_id: i32,
    area: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<SumsByPeriod, StoreError> {
    use programme_figure::Column as C;
    let national = Expr::col(C::AreaCode).eq("");
    let mut select = Query::select();
    select
        .column(C::Period)
        .column(C::Kind)
        .expr_as(national.clone(), Alias::new("national"))
        .expr_as(Func::sum(Expr::col(C::Value)), Alias::new("total"))
        .expr_as(Func::count(Expr::col(C::Value)), Alias::new("n"))
        .from(programme_figure::Entity)
        .and_where(Expr::col(C::MetricId).eq(metric_id))
        .group_by_col(C::Period)
        .group_by_col(C::Kind)
        .group_by_col(Alias::new("national"))
        .order_by(C::Period, sea_orm::Order::Asc);
    within_and_between(&mut select, area, from, to);
    let mut out = Vec::new();
    for row in db.query_all(&select).await? {
        let period: String = row.try_get("", "period")?;
        let kind: String = row.try_get("", "kind")?;
        let national: bool = row.try_get("", "national")?;
        let total: Option<f64> = row.try_get("", "total")?;
        let n: i64 = row.try_get("", "n")?;
        let kind = FigureKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("figure kind {kind}")))?;
        out.push((
            period,
            kind,
            national,
            Sums {
                sum: total.unwrap_or(0.0),
                figures: u64::try_from(n).unwrap_or(0),
            },
        ));
    }
    Ok(out)
}

/// The distinct caveats of some metrics' figures, per period, by period then caveat: within
/// `area` (its own figures and those of the areas inside it) when given, between `from` and
/// `to` (period labels, inclusive) when given.
pub async fn caveats(
    db: &impl ConnectionTrait,
    metric_ids: &[i32],
    area: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<(String, String)>, StoreError> {
    use programme_figure::Column as C;
    let mut select = Query::select();
    select
        .distinct()
        .column(C::Period)
        .column(C::Caveat)
        .from(programme_figure::Entity)
        .and_where(Expr::col(C::MetricId).is_in(metric_ids.iter().copied()))
        .and_where(Expr::col(C::Caveat).is_not_null())
        .order_by(C::Period, sea_orm::Order::Asc)
        .order_by(C::Caveat, sea_orm::Order::Asc);
    within_and_between(&mut select, area, from, to);
    let mut out = Vec::new();
    for row in db.query_all(&select).await? {
        out.push((row.try_get("", "period")?, row.try_get("", "caveat")?));
    }
    Ok(out)
}

/// Actual activity of a count metric (by code, in some programmes) per area of `level`:
/// everything within the area, what was recorded in local authorities, and what was recorded
/// in the `cold` authorities. One `GROUP BY`.
pub async fn reach(
    db: &impl ConnectionTrait,
    metric_code: &str,
    programme_ids: &[i32],
    period: Option<&str>,
    level: AreaLevel,
    cold: &[String],
) -> Result<Vec<(String, f64, f64, f64)>, StoreError> {
    use programme_figure::Column as F;
    let value = || Expr::col((programme_figure::Entity, F::Value));
    let is_authority =
        Expr::col((area::Entity, area::Column::Level)).eq(AreaLevel::LocalAuthority.as_str());
    let in_cold =
        Expr::col((programme_figure::Entity, F::AreaCode)).is_in(cold.iter().map(String::as_str));
    let mut select = Query::select();
    select
        .column((area_within::Entity, area_within::Column::WithinCode))
        .expr_as(Func::sum(value()), Alias::new("total"))
        .expr_as(
            Func::sum(Expr::case(is_authority, value()).finally(0.0)),
            Alias::new("in_authorities"),
        )
        .expr_as(
            Func::sum(Expr::case(in_cold, value()).finally(0.0)),
            Alias::new("in_cold"),
        )
        .from(programme_figure::Entity)
        .inner_join(
            programme_metric::Entity,
            Expr::col((programme_metric::Entity, programme_metric::Column::Id))
                .equals((programme_figure::Entity, F::MetricId)),
        )
        .inner_join(
            area_within::Entity,
            Expr::col((area_within::Entity, area_within::Column::AreaCode))
                .equals((programme_figure::Entity, F::AreaCode)),
        )
        .inner_join(
            area::Entity,
            Expr::col((area::Entity, area::Column::Code))
                .equals((programme_figure::Entity, F::AreaCode)),
        )
        .and_where(Expr::col((area_within::Entity, area_within::Column::Level)).eq(level.as_str()))
        .and_where(Expr::col((programme_figure::Entity, F::Kind)).eq(FigureKind::Actual.as_str()))
        .and_where(
            Expr::col((programme_metric::Entity, programme_metric::Column::Code)).eq(metric_code),
        )
        .and_where(
            Expr::col((programme_metric::Entity, programme_metric::Column::Unit)).ne("percent"),
        )
        .group_by_col((area_within::Entity, area_within::Column::WithinCode))
        .order_by(
            (area_within::Entity, area_within::Column::WithinCode),
            sea_orm::Order::Asc,
        );
    select.and_where(
        Expr::col((
            programme_metric::Entity,
            programme_metric::Column::ProgrammeId,
        ))
        .is_in(programme_ids.iter().copied()),
    );
    if let Some(period) = period {
        select.and_where(Expr::col((programme_figure::Entity, F::Period)).eq(period));
    }
    let mut out = Vec::new();
    for row in db.query_all(&select).await? {
        let code: String = row.try_get("", "within_code")?;
        let total: Option<f64> = row.try_get("", "total")?;
        let authorities: Option<f64> = row.try_get("", "in_authorities")?;
        let cold: Option<f64> = row.try_get("", "in_cold")?;
        out.push((
            code,
            total.unwrap_or(0.0),
            authorities.unwrap_or(0.0),
            cold.unwrap_or(0.0),
        ));
    }
    Ok(out)
}
