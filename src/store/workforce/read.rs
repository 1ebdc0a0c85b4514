//! Reading the workforce tables: employers, snapshots, business units and grades, and the
//! aggregates of staff records.

use std::collections::HashMap;

use entity::{business_unit, employer, grade, staff_record, workforce_snapshot};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IdenStatic, QueryFilter, QueryOrder,
};

use crate::domain::cells::{EngagementSums, GroupCounts, OTHER_DECLARED};
use crate::domain::disclosure::Aggregate;
use crate::domain::seb::{self, Measure};
use crate::domain::workforce::{Dimension, GroupKey, Scope};
use crate::store::error::StoreError;

/// An employer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employer {
    /// Surrogate key.
    pub id: i32,
    /// Code used by imports and filters.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Sector, when known.
    pub sector: Option<String>,
    /// Whether it is synthetic demo data.
    pub synthetic: bool,
}

impl From<employer::Model> for Employer {
    fn from(m: employer::Model) -> Self {
        Employer {
            id: m.id,
            code: m.code,
            name: m.name,
            sector: m.sector,
            synthetic: m.synthetic,
        }
    }
}

/// A snapshot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Its id (one version of the employer-year).
    pub id: i32,
    /// The employer's id.
    pub employer_id: i32,
    /// The year.
    pub year: i32,
    /// Where its records came from.
    pub source: String,
    /// How many records it holds.
    pub records: i64,
    /// When it was imported (seconds since the Unix epoch).
    pub imported_at: i64,
    /// The release that published it; `None`: a draft.
    pub release: Option<i32>,
}

impl From<workforce_snapshot::Model> for Snapshot {
    fn from(s: workforce_snapshot::Model) -> Self {
        Snapshot {
            id: s.id,
            employer_id: s.employer_id,
            year: s.year,
            source: s.source,
            records: s.records,
            imported_at: s.imported_at,
            release: s.release_id,
        }
    }
}

/// A business unit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessUnit {
    /// Surrogate key.
    pub id: i32,
    /// The employer's id.
    pub employer_id: i32,
    /// Its name.
    pub name: String,
}

/// A grade as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grade {
    /// The employer's id.
    pub employer_id: i32,
    /// Its label.
    pub label: String,
    /// Its level as last imported.
    pub level: i32,
}

fn measure_column(measure: Measure) -> staff_record::Column {
    match measure {
        Measure::ParentalOccupation => staff_record::Column::ParentalOccupation,
        Measure::SchoolType => staff_record::Column::SchoolType,
        Measure::FreeSchoolMeals => staff_record::Column::FreeSchoolMeals,
        Measure::ParentalDegree => staff_record::Column::ParentalDegree,
        Measure::SelfAssessed => staff_record::Column::SelfAssessed,
    }
}

fn dimension_column(dimension: Dimension) -> staff_record::Column {
    match dimension {
        Dimension::Employer => staff_record::Column::EmployerId,
        Dimension::Year => staff_record::Column::Year,
        Dimension::BusinessUnit => staff_record::Column::BusinessUnitId,
        Dimension::GradeLevel => staff_record::Column::GradeLevel,
        Dimension::Region => staff_record::Column::WorkRegion,
        Dimension::LocalAuthority => staff_record::Column::WorkArea,
    }
}

/// Every employer, by code.
pub async fn employers(db: &impl ConnectionTrait) -> Result<Vec<Employer>, StoreError> {
    Ok(employer::Entity::find()
        .order_by_asc(employer::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(Employer::from)
        .collect())
}

/// Whether any staff record is stored.
pub async fn has_records(db: &impl ConnectionTrait) -> Result<bool, StoreError> {
    Ok(workforce_snapshot::Entity::find().one(db).await?.is_some())
}

/// The rows of `E` that belong to some employers (by `employer`), in `order`, each turned
/// into a `T` by `into`.
async fn of_employers<E: EntityTrait, T>(
    db: &impl ConnectionTrait,
    (employer, employer_ids): (E::Column, &[i32]),
    order: &[E::Column],
    into: impl Fn(E::Model) -> T,
) -> Result<Vec<T>, StoreError> {
    let mut query = E::find().filter(employer.is_in(employer_ids.iter().copied()));
    for column in order {
        query = query.order_by_asc(*column);
    }
    Ok(query.all(db).await?.into_iter().map(into).collect())
}

/// Every version of the snapshots of some employers, by employer, year and version.
pub async fn snapshots(
    db: &impl ConnectionTrait,
    employer_ids: &[i32],
) -> Result<Vec<Snapshot>, StoreError> {
    use workforce_snapshot::{Column as C, Entity};
    let order = [C::EmployerId, C::Year, C::Id];
    of_employers::<Entity, _>(db, (C::EmployerId, employer_ids), &order, Snapshot::from).await
}

/// The business units of some employers.
pub async fn business_units(
    db: &impl ConnectionTrait,
    employer_ids: &[i32],
) -> Result<Vec<BusinessUnit>, StoreError> {
    use business_unit::Column as C;
    let unit = |u: business_unit::Model| BusinessUnit {
        id: u.id,
        employer_id: u.employer_id,
        name: u.name,
    };
    let of = (C::EmployerId, employer_ids);
    of_employers::<business_unit::Entity, _>(db, of, &[C::EmployerId, C::Name], unit).await
}

/// The grades of some employers, most junior first.
pub async fn grades(
    db: &impl ConnectionTrait,
    employer_ids: &[i32],
) -> Result<Vec<Grade>, StoreError> {
    use grade::Column as C;
    let order = [C::EmployerId, C::GradeLevel, C::Label];
    let of = (C::EmployerId, employer_ids);
    of_employers::<grade::Entity, _>(db, of, &order, |g| Grade {
        employer_id: g.employer_id,
        label: g.label,
        level: g.grade_level,
    })
    .await
}

/// The filter of a scope, on staff records, in the latest release (what the public reads):
/// each employer-year's version of the highest release, never a draft.
fn scope_condition(scope: &Scope) -> Condition {
    use staff_record::Column as C;
    let mut condition = Condition::all()
        .add(C::EmployerId.is_in(scope.employers.iter().copied()))
        .add(C::Year.is_in(scope.years.iter().copied()))
        .add(Expr::cust(
            "snapshot_id IN (SELECT s.id FROM workforce_snapshot s WHERE s.release_id = \
             (SELECT MAX(t.release_id) FROM workforce_snapshot t \
             WHERE t.employer_id = s.employer_id AND t.year = s.year))",
        ));
    if let Some(units) = &scope.business_units {
        condition = condition.add(C::BusinessUnitId.is_in(units.iter().copied()));
    }
    if let Some(levels) = &scope.grade_levels {
        condition = condition.add(C::GradeLevel.is_in(levels.iter().copied()));
    }
    if let Some(areas) = &scope.work_areas {
        condition = condition.add(C::WorkArea.is_in(areas.iter().map(String::as_str)));
    }
    if scope.joiners_only {
        condition = condition.add(Expr::col(C::JoinedYear).eq(Expr::col(C::Year)));
    }
    condition
}

const GROUP_ALIAS: &str = "seb_group";
const KEY_SUM: &str = "key_sum";

/// The sum of the record keys of a group's records: a 64-bit integer on both stores (the sum
/// of a PostgreSQL `integer` is a `bigint`).
fn key_sum() -> Expr {
    Expr::cust("COALESCE(SUM(record_key), 0)")
}

/// A row's record count (`n`) and record-key sum as a cell.
fn read_aggregate(row: &sea_orm::QueryResult) -> Result<Aggregate, StoreError> {
    let n: i64 = row.try_get("", "n")?;
    let key_sum: i64 = row.try_get("", KEY_SUM)?;
    Ok(Aggregate {
        count: u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("count {n}")))?,
        key_sum: u64::try_from(key_sum)
            .map_err(|_| StoreError::Corrupt(format!("record-key sum {key_sum}")))?,
    })
}

/// `CASE` mapping a measure's answer codes to background groups (NULL: unknown), so the
/// database groups by background group directly.
pub(super) fn group_expr(measure: Measure) -> Expr {
    let column = measure_column(measure);
    let mut groups = measure.groups().iter();
    let Some(first) = groups.next() else {
        return Expr::null();
    };
    let mut case = Expr::case(
        Expr::col(column).is_in(measure.codes_of(first)),
        Expr::val(*first),
    );
    for group in groups {
        case = case.case(
            Expr::col(column).is_in(measure.codes_of(group)),
            Expr::val(*group),
        );
    }
    case.finally(Expr::null()).into()
}

fn grouped_select(scope: &Scope, dimensions: &[Dimension]) -> SelectStatement {
    let mut select = Query::select();
    select
        .from(staff_record::Entity)
        .cond_where(scope_condition(scope));
    for d in dimensions {
        select.column(dimension_column(*d));
        select.group_by_col(dimension_column(*d));
    }
    select
}

fn read_key(row: &sea_orm::QueryResult, dimensions: &[Dimension]) -> Result<GroupKey, StoreError> {
    let mut key = GroupKey::default();
    for d in dimensions {
        let name = dimension_column(*d).as_str();
        match d {
            Dimension::Employer => key.employer = Some(row.try_get("", name)?),
            Dimension::Year => key.year = Some(row.try_get("", name)?),
            Dimension::BusinessUnit => key.business_unit = Some(row.try_get("", name)?),
            Dimension::GradeLevel => key.grade_level = Some(row.try_get("", name)?),
            Dimension::Region => key.region = Some(row.try_get("", name)?),
            Dimension::LocalAuthority => key.local_authority = Some(row.try_get("", name)?),
        }
    }
    Ok(key)
}

/// Record counts and record-key sums per group (formed by `dimensions`) and background group
/// of `measure`, in one `GROUP BY` statement; groups sorted by key.
pub async fn category_counts(
    db: &impl ConnectionTrait,
    scope: &Scope,
    measure: Measure,
    dimensions: &[Dimension],
) -> Result<Vec<GroupCounts>, StoreError> {
    let mut select = grouped_select(scope, dimensions);
    select
        .expr_as(group_expr(measure), Alias::new(GROUP_ALIAS))
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            Alias::new("n"),
        )
        .expr_as(key_sum(), Alias::new(KEY_SUM))
        .group_by_col(Alias::new(GROUP_ALIAS));
    let rows = db.query_all(&select).await?;

    let mut groups: HashMap<GroupKey, GroupCounts> = HashMap::new();
    for row in rows {
        let key = read_key(&row, dimensions)?;
        let category: Option<String> = row.try_get("", GROUP_ALIAS)?;
        let n = read_aggregate(&row)?;
        let entry = groups.entry(key.clone()).or_insert_with(|| GroupCounts {
            key,
            headcount: Aggregate::default(),
            categories: measure
                .groups()
                .iter()
                .map(|g| (*g, Aggregate::default()))
                .collect(),
        });
        entry.headcount += n;
        if let Some(category) = category {
            let cell = entry
                .categories
                .iter_mut()
                .find(|(g, _)| *g == category)
                .ok_or_else(|| StoreError::Corrupt(format!("background group {category}")))?;
            cell.1 += n;
        }
    }
    let mut groups: Vec<GroupCounts> = groups.into_values().collect();
    groups.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(groups)
}

/// `CASE` mapping parental occupation to the backgrounds engagement is compared between:
/// lower SEB, other declared, or NULL (not declared).
pub(super) fn engagement_group_expr() -> Expr {
    let measure = Measure::ParentalOccupation;
    let column = measure_column(measure);
    let others: Vec<&str> = measure
        .groups()
        .iter()
        .filter(|g| **g != seb::LOWER)
        .flat_map(|g| measure.codes_of(g))
        .collect();
    Expr::case(
        Expr::col(column).is_in(measure.codes_of(seb::LOWER)),
        Expr::val(seb::LOWER),
    )
    .case(Expr::col(column).is_in(others), Expr::val(OTHER_DECLARED))
    .finally(Expr::null())
    .into()
}

/// Engagement sums by background, in one `GROUP BY` statement.
pub async fn engagement_sums(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<EngagementSums, StoreError> {
    let case = engagement_group_expr();
    let mut select = grouped_select(scope, &[]);
    select
        .and_where(Expr::col(staff_record::Column::Engagement).is_not_null())
        .expr_as(case, Alias::new(GROUP_ALIAS))
        .expr_as(
            Func::count(Expr::col(staff_record::Column::Engagement)),
            Alias::new("n"),
        )
        .expr_as(key_sum(), Alias::new(KEY_SUM))
        .expr_as(
            Func::sum(Expr::col(staff_record::Column::Engagement)),
            Alias::new("total"),
        )
        .group_by_col(Alias::new(GROUP_ALIAS));
    let mut sums = EngagementSums::default();
    for row in db.query_all(&select).await? {
        let group: Option<String> = row.try_get("", GROUP_ALIAS)?;
        let people = read_aggregate(&row)?;
        let total: Option<f64> = row.try_get("", "total")?;
        let total = total.unwrap_or(0.0);
        match group.as_deref() {
            Some(seb::LOWER) => (sums.lower, sums.lower_sum) = (people, total),
            Some(OTHER_DECLARED) => (sums.other, sums.other_sum) = (people, total),
            _ => {}
        }
    }
    Ok(sums)
}
